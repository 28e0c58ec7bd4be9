# ruff: noqa: E501  (prose data: long sentences read better unbroken)
"""Qiantun village (Feixiang county, Hebei): the first village happiness home (2008).

Elders tell red-history and village-change stories; homespun cloth, millet and dates.
"""

from market.demo.homes import MOST, NORTH

HOME = {
    "slug": "qiantun",
    "name_zh": "前屯村幸福院",
    "name_en": "Qiantun Village Happiness Home",
    "province_zh": "河北省",
    "province_en": "Hebei",
    "county_zh": "肥乡区",
    "county_en": "Feixiang",
    "village_zh": "前屯村",
    "village_en": "Qiantun Village",
    "care_share_bps": 2000,
    "featured": True,
    "pay_payee": "肥乡区前屯村村民委员会（幸福院）",
    "pay_account": "中国农业银行邯郸肥乡支行 6228 4806 1020 3040 517",
    "pay_phone": "139 3101 0208",
    "pay_note_zh": "转账时请在附言里写上订单号。微信或支付宝请转到上面的手机号（户名相同）。有问题请在早上8点到下午5点之间打这个电话。（演示数据，请勿真实转账）",
    "pay_note_en": "Please write the order reference in the transfer note. For WeChat Pay or Alipay, send to the phone number above (same account name). Call that number between 8:00 and 17:00 with any question. (Demo data: do not send real money.)",
    "palette": "plain",
    "story_zh": (
        "2008年，前屯村把一处闲置的院子改成了幸福院，让村里的老人“离家不离村”。"
        "年轻些、身体好的老人照顾年纪更大的老人，一起做饭、吃饭、聊天、晒太阳。\n"
        "这里是全国第一家农村互助幸福院，后来许多省份都来学习。"
        "如今老人们把冀南平原上的红色故事和村子几十年的变化讲给来访的客人听，"
        "也织老粗布、做千层底布鞋。每一笔收入通常有两成进入幸福院的照护基金，账目公开。"
    ),
    "story_en": (
        "In 2008 Qiantun turned an empty courtyard into a happiness home, so that its elders "
        "could \"leave home without leaving the village\". Younger, healthy elders look after "
        "older ones: they cook, eat, talk and sit in the sun together.\n"
        "It was the first rural mutual-aid happiness home in China, and many provinces came "
        "to learn from it. Today the elders tell visitors the red history of the southern Hebei "
        "plain and how the village has changed over the decades; they also weave homespun "
        "cloth and stitch cloth-soled shoes. Usually a fifth of every sale goes to the home's "
        "care fund, and the books are public."
    ),
    "photos": [("院子里晒太阳的午后", "An afternoon in the sun in the courtyard")],
    "visit": {
        "tour": {
            "directions_zh": '从邯郸东站坐去肥乡的公交车，在前屯村口下车，步行五分钟到村委会。自驾可停在村委会门前的空地。',
            "directions_en": 'From Handan East station take the bus to Feixiang and get off at Qiantun village; the village committee is a five-minute walk. Drivers can park in front of the village committee.',
            "map_url": 'https://uri.amap.com/marker?position=114.80,36.55&name=%E5%89%8D%E5%B1%AF%E6%9D%91%E5%B9%B8%E7%A6%8F%E9%99%A2',
            "included_zh": '老人讲解\n茶水和红枣\n饮用水',
            "included_en": 'An elder as your guide\nTea and red dates\nDrinking water',
        },
        "homestay": {
            "directions_zh": '从邯郸东站坐去肥乡的公交车，在前屯村口下车，步行五分钟到村委会。自驾可停在村委会门前的空地。',
            "directions_en": 'From Handan East station take the bus to Feixiang and get off at Qiantun village; the village committee is a five-minute walk. Drivers can park in front of the village committee.',
            "map_url": 'https://uri.amap.com/marker?position=114.80,36.55&name=%E5%89%8D%E5%B1%AF%E6%9D%91%E5%B9%B8%E7%A6%8F%E9%99%A2',
            "included_zh": '早餐（小米粥、馒头、咸菜）\n干净的被褥和毛巾\n热水洗澡',
            "included_en": 'Breakfast (millet porridge, steamed buns, pickles)\nClean bedding and towels\nHot showers',
        },
    },
    "meeting_points": {
        "gate": ("前屯村幸福院大门口", "The front gate of Qiantun Happiness Home"),
        "tree": ("村委会门前的老槐树下", "Under the old locust tree outside the village committee"),
        "room": ("村史陈列室（村委会二楼）", "Village history room (village committee, 1st floor)"),
    },
    "elders": {
        "zhang": {
            "display_name_zh": "张德福爷爷",
            "display_name_en": "Grandpa Zhang Defu",
            "role": "storyteller",
            "consent_public": True,
            "incentive_bps": 1000,
            "bio_zh": "在村小学教了三十年书，爱讲抗战时冀南平原上的地道和交通站。",
            "bio_en": "Taught at the village school for thirty years and loves to tell of the "
            "tunnels and liaison stations of the southern Hebei plain during the war.",
        },
        "wang": {
            "display_name_zh": "王秀英奶奶",
            "display_name_en": "Grandma Wang Xiuying",
            "role": "storyteller",
            "consent_public": True,
            "incentive_bps": 1000,
            "bio_zh": "在前屯住了七十多年，记得第一台拖拉机开进村的那一天。",
            "bio_en": "Has lived in Qiantun for more than seventy years and remembers the day "
            "the first tractor drove into the village.",
        },
        "liu": {
            "display_name_zh": "刘桂兰奶奶",
            "display_name_en": "Grandma Liu Guilan",
            "role": "artisan",
            "consent_public": True,
            "incentive_bps": 800,
            "bio_zh": "织了一辈子老粗布，纳的千层底又结实又跟脚。",
            "bio_en": "Has woven homespun cloth all her life; her cloth soles are strong and fit well.",
        },
        # Leads the evening in the history room but asked not to be named anywhere public.
        "zhao": {
            "display_name_zh": "赵庆山爷爷",
            "display_name_en": "Grandpa Zhao Qingshan",
            "role": "storyteller",
            "consent_public": False,
            "incentive_bps": 1000,
            "bio_zh": "保管村史陈列室的钥匙，不希望在网上露面。",
            "bio_en": "Keeps the key of the village history room; prefers not to appear online.",
        },
    },
    "listings": [
        {
            "slug": "qiantun-red-history-walk",
            "kind": "tour",
            "featured": True,
            "title_zh": "冀南红色记忆：跟张爷爷走村史",
            "title_en": "Red history of southern Hebei: a village walk with Grandpa Zhang",
            "description_zh": (
                "张爷爷带大家走过村里的老地道口、当年的交通站和烈士纪念碑，"
                "讲他小时候听父辈讲的故事。\n路程约两公里，都是平路，走走停停，老人孩子都能参加。"
            ),
            "description_en": (
                "Grandpa Zhang walks you past the old tunnel entrance, the wartime liaison station "
                "and the martyrs' memorial, telling the stories he heard from his parents.\n"
                "About two kilometres on flat lanes with many stops; fine for children and older visitors."
            ),
            "price_fen": 6800,
            "elder": "zhang",
            "cancel_hours": 24,
            "tags": "红色,历史,步行",
            "sessions": {"days": (3, 10, 17, 24, 31, 38, 45, 52, 59), "time": "09:30",
                         "minutes": 150, "capacity": 15, "meet": "tree"},
        },
        {
            "slug": "qiantun-village-change-talk",
            "kind": "tour",
            "title_zh": "村庄四十年：王奶奶讲前屯的变化",
            "title_en": "Forty years of change: Grandma Wang on how Qiantun changed",
            "description_zh": (
                "从土坯房到砖瓦房，从煤油灯到电灯，从赶集到网购。"
                "王奶奶坐在幸福院的炕上，一边剥花生一边讲，客人可以随时提问。"
            ),
            "description_en": (
                "From mud-brick houses to brick ones, from oil lamps to electric light, from market "
                "days to online shopping. Grandma Wang talks while shelling peanuts on the home's "
                "kang bed, and you may ask questions at any time."
            ),
            "price_fen": 4800,
            "elder": "wang",
            "cancel_hours": 24,
            "tags": "村史,老人讲述",
            "sessions": {"days": (5, 12, 19, 26, 33, 40, 47, 54), "time": "14:30",
                         "minutes": 90, "capacity": 12, "meet": "gate"},
        },
        {
            "slug": "qiantun-homespun-weaving",
            "kind": "tour",
            "title_zh": "老粗布纺织体验课",
            "title_en": "Homespun cloth weaving workshop",
            "description_zh": (
                "刘奶奶教你纺线、上机、投梭，亲手织一条杯垫大小的老粗布带回家。"
                "材料费已含在价格里。"
            ),
            "description_en": (
                "Grandma Liu shows you how to spin thread, set up the loom and throw the shuttle. "
                "You weave a coaster-sized piece of homespun cloth to take home. Materials are included."
            ),
            "price_fen": 8800,
            "elder": "liu",
            "cancel_hours": 48,
            "tags": "手工,纺织",
            "sessions": {"days": (6, 20, 34, 48), "time": "09:00",
                         "minutes": 180, "capacity": 8, "meet": "gate"},
        },
        {
            "slug": "qiantun-farm-lunch",
            "kind": "tour",
            "title_zh": "幸福院农家午饭：和老人同桌吃饭",
            "title_en": "Farmhouse lunch at the home: eat with the elders",
            "description_zh": (
                "幸福院每天中午开老年餐桌。来访的客人可以一起包饺子、吃饭，"
                "饭钱的一部分直接补贴老人们的伙食。"
            ),
            "description_en": (
                "The home runs an elders' dining table every day at noon. Guests join in making "
                "dumplings and share the meal; part of what you pay goes straight to the elders' meals."
            ),
            "price_fen": 4500,
            "cancel_hours": 12,
            "tags": "农家饭,老年餐桌",
            "sessions": {"days": (2, 4, 9, 11, 16, 18, 23, 25, 30, 37, 44, 51, 58), "time": "11:30",
                         "minutes": 90, "capacity": 10, "meet": "gate"},
        },
        {
            "slug": "qiantun-old-things-evening",
            "kind": "tour",
            "title_zh": "老物件里的记忆：村史陈列室夜话",
            "title_en": "Memories in old things: an evening in the village history room",
            "description_zh": (
                "纺车、马灯、粮票、第一台黑白电视机……村史陈列室里每件老物件都有主人。"
                "由村里的老人带大家一件件看，一件件讲。"
            ),
            "description_en": (
                "A spinning wheel, a hurricane lamp, grain coupons, the village's first black-and-white "
                "television: every old thing in the history room had an owner. "
                "A village elder shows you round and tells their stories one by one."
            ),
            "price_fen": 3800,
            "elder": "zhao",
            "cancel_hours": 24,
            "tags": "老物件,村史",
            "sessions": {"days": (7, 21, 35, 49), "time": "19:00",
                         "minutes": 90, "capacity": 12, "meet": "room"},
        },
        {
            "slug": "qiantun-farmhouse-courtyard",
            "kind": "homestay",
            "featured": True,
            "title_zh": "前屯农家小院",
            "title_en": "Qiantun farmhouse courtyard",
            "description_zh": (
                "幸福院隔壁的农家小院，冬天烧炕，夏天院里乘凉。早饭是小米粥和自家蒸的馒头。"
            ),
            "description_en": (
                "A farmhouse courtyard next to the home: a heated kang bed in winter, cool evenings "
                "in the yard in summer. Breakfast is millet porridge and home-steamed buns."
            ),
            "cancel_hours": 48,
            "tags": "农家院,火炕",
            "rooms": [
                ("东屋火炕房", "East room with kang bed", 12800, 3,
                 "火炕、电暖气、独立卫生间", "Heated kang, electric heater, private bathroom"),
                ("西屋双床房", "West room, two beds", 10800, 2,
                 "两张单人床、共用卫生间", "Two single beds, shared bathroom"),
            ],
        },
        {
            "slug": "qiantun-old-school-rooms",
            "kind": "homestay",
            "title_zh": "老校舍客房",
            "title_en": "Rooms in the old schoolhouse",
            "description_zh": (
                "张爷爷当年教书的老校舍修缮后改成了客房，黑板还留在墙上。适合研学团和家庭。"
            ),
            "description_en": (
                "The old schoolhouse where Grandpa Zhang taught has been repaired as guest rooms; "
                "the blackboard is still on the wall. Good for study groups and families."
            ),
            "cancel_hours": 48,
            "tags": "研学,家庭",
            "rooms": [
                ("一号教室房", "Classroom room No. 1", 9800, 2,
                 "两张单人床、书桌", "Two single beds, writing desk"),
                ("家庭房", "Family room", 15800, 4,
                 "一张大床、两张单人床、独立卫生间", "One double and two single beds, private bathroom"),
            ],
        },
        {
            "slug": "qiantun-millet",
            "kind": "produce",
            "featured": True,
            "title_zh": "肥乡小米（2.5 公斤）",
            "title_en": "Feixiang millet (2.5 kg)",
            "description_zh": "村里老人地里种的谷子，石碾去壳，熬粥有米油。",
            "description_en": "Millet grown on the elders' own plots, hulled on a stone roller; "
            "it makes a rich, creamy porridge.",
            "price_fen": 4500,
            "unit_zh": "袋",
            "unit_en": "bag",
            "stock": 60,
            "ships_to": MOST,
            "tags": "小米,杂粮",
        },
        {
            "slug": "qiantun-sweet-potatoes",
            "kind": "produce",
            "title_zh": "沙地红薯（5 公斤）",
            "title_en": "Sandy-soil sweet potatoes (5 kg)",
            "description_zh": "漳河边沙地里长的红薯，烤着吃又面又甜。",
            "description_en": "Sweet potatoes from the sandy fields by the Zhang River: floury and "
            "sweet when roasted.",
            "price_fen": 3900,
            "unit_zh": "箱",
            "unit_en": "box",
            "stock": 40,
            "ships_to": NORTH,
            "tags": "红薯",
        },
        {
            "slug": "qiantun-stone-ground-flour",
            "kind": "produce",
            "title_zh": "石磨全麦面粉（5 公斤）",
            "title_en": "Stone-ground wholemeal flour (5 kg)",
            "description_zh": "本村小麦，村里的老石磨慢慢磨，不加任何添加剂。",
            "description_en": "Wheat from the village, slowly ground on the old millstone, with nothing added.",
            "price_fen": 5200,
            "unit_zh": "袋",
            "unit_en": "bag",
            "stock": 30,
            "ships_to": NORTH,
            "tags": "面粉,小麦",
        },
        {
            "slug": "qiantun-red-dates",
            "kind": "produce",
            "title_zh": "院里老枣树的红枣（1 公斤）",
            "title_en": "Red dates from the home's old jujube trees (1 kg)",
            "description_zh": "幸福院院子里有三棵五十多年的枣树，老人们秋天打枣、晾晒、挑拣。",
            "description_en": "Three jujube trees over fifty years old grow in the home's yard. "
            "The elders shake down, dry and sort the dates every autumn.",
            "price_fen": 3600,
            "unit_zh": "袋",
            "unit_en": "bag",
            "stock": 25,
            "ships_to": MOST,
            "tags": "红枣",
        },
        {
            "slug": "qiantun-homespun-sheet",
            "kind": "craft",
            "featured": True,
            "title_zh": "手织老粗布床单",
            "title_en": "Hand-woven homespun bed sheet",
            "description_zh": "纯棉手纺手织，红蓝格子，越洗越软。每条都由刘奶奶和院里的姐妹现织。",
            "description_en": "Pure cotton, hand-spun and hand-woven in red and blue checks; it gets "
            "softer with every wash. Each sheet is woven to order by Grandma Liu and her friends.",
            "price_fen": 38000,
            "unit_zh": "条",
            "unit_en": "sheet",
            "elder": "liu",
            "made_to_order": True,
            "lead_days": 20,
            "ships_to": MOST,
            "tags": "老粗布,床品",
        },
        {
            "slug": "qiantun-cloth-shoes",
            "kind": "craft",
            "title_zh": "千层底布鞋",
            "title_en": "Hand-stitched cloth-soled shoes",
            "description_zh": "鞋底一针一线纳成，下单后请在备注里写鞋码。",
            "description_en": "Soles stitched by hand, layer by layer. Please give your shoe size in "
            "the order note.",
            "price_fen": 16000,
            "unit_zh": "双",
            "unit_en": "pair",
            "elder": "liu",
            "made_to_order": True,
            "lead_days": 15,
            "ships_to": MOST,
            "tags": "布鞋",
        },
        {
            "slug": "qiantun-paper-cuts",
            "kind": "craft",
            "title_zh": "剪纸窗花（一套六张）",
            "title_en": "Paper-cut window flowers (set of six)",
            "description_zh": "老人们冬天在炕头剪的窗花：喜鹊登梅、五谷丰登、福字。",
            "description_en": "Window paper-cuts made on the kang in winter: magpies on plum "
            "blossom, a good harvest, and the character for luck.",
            "price_fen": 3000,
            "unit_zh": "套",
            "unit_en": "set",
            "stock": 50,
            "ships_to": MOST,
            "care_share_bps": 3000,
            "tags": "剪纸,年货",
        },
        {
            "slug": "qiantun-new-year-buns",
            "kind": "produce",
            "status": "draft",
            "title_zh": "腊月蒸花馍",
            "title_en": "New Year flower buns",
            "description_zh": "腊月才开始预订，还在准备中。",
            "description_en": "Orders open in the last month of the lunar year; still being prepared.",
            "price_fen": 6800,
            "unit_zh": "盒",
            "unit_en": "box",
            "stock": 0,
            "tags": "年货",
        },
    ],
}
