# ruff: noqa: E501  (prose data: long sentences read better unbroken)
"""Xiaoling village (Jing county, Anhui): a Xuan rice-paper village.

Papermaking workshops led by elder papermakers, paper and tea for sale.
"""

from market.demo.homes import EAST, MOST

HOME = {
    "slug": "xiaoling",
    "name_zh": "小岭村幸福院",
    "name_en": "Xiaoling Village Happiness Home",
    "province_zh": "安徽省",
    "province_en": "Anhui",
    "county_zh": "泾县",
    "county_en": "Jing County",
    "village_zh": "小岭村",
    "village_en": "Xiaoling Village",
    "care_share_bps": 1500,
    "featured": True,
    "pay_payee": "泾县小岭村村民委员会（幸福院）",
    "pay_account": "安徽泾县农村商业银行丁家桥支行 6229 5380 2031 4152 638",
    "pay_phone": "139 5636 0417",
    "pay_note_zh": "转账时请在附言里写上订单号。微信或支付宝请转到上面的手机号（户名相同）。有问题请在早上8点到下午5点之间打这个电话。（演示数据，请勿真实转账）",
    "pay_note_en": "Please write the order reference in the transfer note. For WeChat Pay or Alipay, send to the phone number above (same account name). Call that number between 8:00 and 17:00 with any question. (Demo data: do not send real money.)",
    "palette": "misty",
    "story_zh": (
        "泾县是宣纸的故乡，小岭村的山沟里造纸已有几百年。村里许多老人年轻时在纸坊里"
        "捞纸、晒纸、检纸，一双手就是手艺。\n"
        "幸福院设在老纸坊旁边。老人们在这里一起吃饭、喝茶，也带孩子和游客体验古法造纸，"
        "把手艺传下去。宣纸和体验课收入的一成半进入照护基金，用于老年餐桌和上门探访。"
    ),
    "story_en": (
        "Jing County is the home of Xuan paper, and papermakers have worked in the valleys of "
        "Xiaoling for centuries. Many of the village elders spent their youth lifting, drying "
        "and sorting paper in the mills; their hands are their craft.\n"
        "The happiness home sits next to an old paper mill. Elders eat and drink tea together "
        "there, and show children and visitors how paper is made the old way, so the craft "
        "lives on. Fifteen percent of paper and workshop income goes to the care fund, which "
        "pays for the elders' dining table and home visits."
    ),
    "photos": [("山谷里的老纸坊", "The old paper mill in the valley")],
    "visit": {
        "tour": {
            "directions_zh": '从泾县汽车站坐去丁家桥的班车，在小岭村站下车，沿溪边的路走十分钟到幸福院。',
            "directions_en": 'From Jing county bus station take the bus towards Dingjiaqiao, get off at Xiaoling village and walk ten minutes along the stream to the home.',
            "map_url": 'https://uri.amap.com/marker?position=118.41,30.69&name=%E5%B0%8F%E5%B2%AD%E6%9D%91%E5%B9%B8%E7%A6%8F%E9%99%A2',
            "included_zh": '老人讲解和示范\n所有材料和工具\n自己做的纸带回家',
            "included_en": 'An elder who explains and shows you\nAll materials and tools\nTake home the paper you make',
        },
        "homestay": {
            "directions_zh": '从泾县汽车站坐去丁家桥的班车，在小岭村站下车，沿溪边的路走十分钟到幸福院。',
            "directions_en": 'From Jing county bus station take the bus towards Dingjiaqiao, get off at Xiaoling village and walk ten minutes along the stream to the home.',
            "map_url": 'https://uri.amap.com/marker?position=118.41,30.69&name=%E5%B0%8F%E5%B2%AD%E6%9D%91%E5%B9%B8%E7%A6%8F%E9%99%A2',
            "included_zh": '早餐\n干净的被褥和毛巾\n热水洗澡',
            "included_en": 'Breakfast\nClean bedding and towels\nHot showers',
        },
    },
    "meeting_points": {
        "mill": ("小岭老纸坊门口", "Entrance of the old Xiaoling paper mill"),
        "bridge": ("村口石拱桥", "The stone bridge at the village entrance"),
        "hall": ("幸福院活动室", "The happiness home's activity room"),
    },
    "elders": {
        "cao": {
            "display_name_zh": "曹永年师傅",
            "display_name_en": "Master Cao Yongnian",
            "role": "artisan",
            "consent_public": True,
            "incentive_bps": 1000,
            "bio_zh": "捞纸四十年，手一伸进纸槽就知道纸浆的厚薄。",
            "bio_en": "Lifted paper from the vat for forty years; one touch tells him how thick the pulp is.",
        },
        "wang": {
            "display_name_zh": "汪月娥奶奶",
            "display_name_en": "Grandma Wang Yue'e",
            "role": "artisan",
            "consent_public": True,
            "incentive_bps": 800,
            "bio_zh": "晒纸、检纸的好手，一眼就能挑出有瑕疵的纸。",
            "bio_en": "An expert at drying and sorting sheets; she spots a flawed sheet at a glance.",
        },
        "hu": {
            "display_name_zh": "胡长松爷爷",
            "display_name_en": "Grandpa Hu Changsong",
            "role": "storyteller",
            "consent_public": True,
            "incentive_bps": 1000,
            "bio_zh": "种了一辈子青檀树和茶，也爱讲新四军在云岭的故事。",
            "bio_en": "Has grown blue sandalwood trees and tea all his life, and loves to tell "
            "the story of the New Fourth Army at Yunling.",
        },
    },
    "listings": [
        {
            "slug": "xiaoling-papermaking-workshop",
            "kind": "tour",
            "featured": True,
            "title_zh": "宣纸古法制作体验：捞一张自己的纸",
            "title_en": "Traditional Xuan paper workshop: lift your own sheet",
            "description_zh": (
                "跟曹师傅学捞纸：竹帘入槽、一荡一抬，纸浆就成了纸。"
                "您捞的纸会晒干后寄给您。\n适合八岁以上的孩子和大人。"
            ),
            "description_en": (
                "Learn from Master Cao how to lift paper: dip the bamboo screen, rock it, lift it, "
                "and pulp becomes a sheet. The sheet you make is dried and posted to you.\n"
                "For adults and children aged eight and over."
            ),
            "price_fen": 12800,
            "elder": "cao",
            "cancel_hours": 48,
            "tags": "宣纸,非遗,手工",
            "sessions": {"days": (2, 6, 9, 13, 16, 20, 27, 34, 41, 48, 55), "time": "09:30",
                         "minutes": 180, "capacity": 10, "meet": "mill"},
        },
        {
            "slug": "xiaoling-drying-sorting",
            "kind": "tour",
            "title_zh": "晒纸与检纸：一张纸的最后几道工序",
            "title_en": "Drying and sorting: the last steps of a sheet",
            "description_zh": "汪奶奶带你上焙墙晒纸，再教你在灯下检纸，看宣纸的帘纹和云纹。",
            "description_en": "Grandma Wang takes you to the heated drying wall, then shows you how to "
            "check sheets against the light and see the screen lines and cloud patterns.",
            "price_fen": 7800,
            "elder": "wang",
            "cancel_hours": 48,
            "tags": "宣纸,手工",
            "sessions": {"days": (4, 11, 18, 25, 32, 39, 46, 53), "time": "14:00",
                         "minutes": 120, "capacity": 8, "meet": "mill"},
        },
        {
            "slug": "xiaoling-paper-village-walk",
            "kind": "tour",
            "title_zh": "宣纸村落漫步：从青檀树到纸坊",
            "title_en": "Paper village walk: from blue sandalwood trees to the mill",
            "description_zh": "宣纸的原料是青檀树皮和沙田稻草。胡爷爷带你从山坡上的青檀林一路走到纸坊。",
            "description_en": "Xuan paper is made from blue sandalwood bark and rice straw. Grandpa Hu "
            "walks you from the sandalwood groves on the hillside down to the mill.",
            "price_fen": 5800,
            "elder": "hu",
            "cancel_hours": 24,
            "tags": "徒步,宣纸",
            "sessions": {"days": (3, 10, 17, 24, 31, 38, 45, 52, 59), "time": "09:00",
                         "minutes": 150, "capacity": 15, "meet": "bridge"},
        },
        {
            "slug": "xiaoling-yunling-history",
            "kind": "tour",
            "title_zh": "云岭新四军旧址故事行",
            "title_en": "Stories of the New Fourth Army at Yunling",
            "description_zh": "泾县云岭是新四军军部旧址所在地。胡爷爷讲他小时候听来的故事，全程乘车，步行不多。",
            "description_en": "Yunling in Jing County was the headquarters of the New Fourth Army. "
            "Grandpa Hu tells the stories he heard as a boy. We travel by minibus, with little walking.",
            "price_fen": 6800,
            "elder": "hu",
            "cancel_hours": 24,
            "tags": "红色,历史",
            "sessions": {"days": (8, 22, 36, 50), "time": "08:30",
                         "minutes": 240, "capacity": 16, "meet": "bridge"},
        },
        {
            "slug": "xiaoling-family-calligraphy",
            "kind": "tour",
            "title_zh": "亲子书法课：在宣纸上写个福字",
            "title_en": "Family calligraphy class: write 'luck' on Xuan paper",
            "description_zh": "村里的老书法爱好者教大人孩子握笔、蘸墨，在宣纸上写福字、写自己的名字。",
            "description_en": "Village calligraphy lovers teach adults and children to hold the brush, load "
            "the ink and write the character for luck, and their own names, on Xuan paper.",
            "price_fen": 9800,
            "cancel_hours": 24,
            "tags": "书法,亲子",
            "sessions": {"days": (5, 19, 33, 47), "time": "15:00",
                         "minutes": 90, "capacity": 12, "meet": "hall"},
        },
        {
            "slug": "xiaoling-papermakers-house",
            "kind": "homestay",
            "featured": True,
            "title_zh": "纸坊人家",
            "title_en": "A papermaker's house",
            "description_zh": "曹师傅家的老房子，推窗就是溪水和纸坊。晚饭可以一起吃农家菜。",
            "description_en": "Master Cao's family house: open the window onto the stream and the mill. "
            "You are welcome to share a farmhouse dinner.",
            "cancel_hours": 72,
            "tags": "民宿,溪边",
            "rooms": [
                ("临溪房", "Room by the stream", 16800, 2,
                 "一张大床、独立卫生间、空调", "Double bed, private bathroom, air conditioning"),
                ("阁楼房", "Attic room", 13800, 2,
                 "两张单人床、木结构阁楼", "Two single beds, timber attic"),
            ],
        },
        {
            "slug": "xiaoling-huoqing-tea",
            "kind": "produce",
            "title_zh": "涌溪火青绿茶（100 克）",
            "title_en": "Yongxi Huoqing green tea (100 g)",
            "description_zh": "泾县名茶，颗粒卷曲如发髻，耐泡回甘。今年春茶。",
            "description_en": "Jing County's famous tea, rolled into tight pearls; it takes many infusions "
            "and leaves a sweet aftertaste. This spring's picking.",
            "price_fen": 8800,
            "unit_zh": "罐",
            "unit_en": "tin",
            "elder": "hu",
            "stock": 40,
            "ships_to": MOST,
            "tags": "绿茶",
        },
        {
            "slug": "xiaoling-dried-bamboo-shoots",
            "kind": "produce",
            "title_zh": "农家笋干（500 克）",
            "title_en": "Dried bamboo shoots (500 g)",
            "description_zh": "春天挖的毛竹笋，煮熟后晒干，炖肉最香。",
            "description_en": "Spring bamboo shoots, boiled and sun-dried; wonderful braised with pork.",
            "price_fen": 4200,
            "unit_zh": "袋",
            "unit_en": "bag",
            "stock": 30,
            "ships_to": EAST,
            "tags": "笋干,山货",
        },
        {
            "slug": "xiaoling-xuan-paper-four-chi",
            "kind": "craft",
            "featured": True,
            "title_zh": "四尺单宣（一刀 100 张）",
            "title_en": "Four-chi single-ply Xuan paper (100 sheets)",
            "description_zh": "69 × 138 厘米，檀皮含量高，润墨性好，适合写意画和书法。",
            "description_en": "69 × 138 cm, rich in sandalwood bark, takes ink beautifully; for "
            "freehand painting and calligraphy.",
            "price_fen": 46000,
            "unit_zh": "刀",
            "unit_en": "ream",
            "elder": "cao",
            "stock": 20,
            "ships_to": MOST,
            "tags": "宣纸,书画",
        },
        {
            "slug": "xiaoling-practice-paper",
            "kind": "craft",
            "title_zh": "书画练习纸（50 张）",
            "title_en": "Calligraphy practice paper (50 sheets)",
            "description_zh": "检纸时挑出的有小瑕疵的宣纸，写字练画一样好用，价格实惠。",
            "description_en": "Sheets set aside at sorting for small flaws: just as good for practice, "
            "at a friendly price.",
            "price_fen": 6500,
            "unit_zh": "包",
            "unit_en": "pack",
            "elder": "wang",
            "stock": 80,
            "ships_to": MOST,
            "tags": "宣纸,练习",
        },
        {
            "slug": "xiaoling-letter-paper",
            "kind": "craft",
            "title_zh": "手工宣纸信笺（30 张）",
            "title_en": "Handmade Xuan letter paper (30 sheets)",
            "description_zh": "纸里压了山上的小花和竹叶，配十个信封。",
            "description_en": "Small hillside flowers and bamboo leaves pressed into the paper; "
            "comes with ten envelopes.",
            "price_fen": 4800,
            "unit_zh": "套",
            "unit_en": "set",
            "stock": 60,
            "ships_to": MOST,
            "tags": "信笺,礼物",
        },
        {
            "slug": "xiaoling-paper-fan",
            "kind": "craft",
            "title_zh": "宣纸团扇",
            "title_en": "Xuan paper round fan",
            "description_zh": "竹骨宣纸面，留白可以自己题字作画。",
            "description_en": "Bamboo frame with a Xuan paper face, left blank for your own painting "
            "or poem.",
            "price_fen": 5800,
            "unit_zh": "把",
            "unit_en": "fan",
            "stock": 25,
            "ships_to": MOST,
            "tags": "团扇,礼物",
        },
        {
            "slug": "xiaoling-custom-watermark-paper",
            "kind": "craft",
            "title_zh": "定制水印宣纸（50 张）",
            "title_en": "Xuan paper with your own watermark (50 sheets)",
            "description_zh": "把您的名字或印章做成帘纹水印，曹师傅亲手捞制。适合书画社团和婚礼请柬。",
            "description_en": "Your name or seal woven into the screen as a watermark, lifted by Master Cao "
            "himself. Good for calligraphy clubs and wedding invitations.",
            "price_fen": 68000,
            "unit_zh": "批",
            "unit_en": "batch",
            "elder": "cao",
            "made_to_order": True,
            "lead_days": 30,
            "ships_to": MOST,
            "tags": "定制,宣纸",
        },
    ],
}
