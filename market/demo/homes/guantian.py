# ruff: noqa: E501  (prose data: long sentences read better unbroken)
"""Guantian village (Yujiang district, Jiangxi): tea and rice.

Homestay rooms, tea picking, new rice and camellia oil.
"""

from market.demo.homes import MOST

HOME = {
    "slug": "guantian",
    "name_zh": "官田村幸福院",
    "name_en": "Guantian Village Happiness Home",
    "province_zh": "江西省",
    "province_en": "Jiangxi",
    "county_zh": "余江区",
    "county_en": "Yujiang",
    "village_zh": "官田村",
    "village_en": "Guantian Village",
    "care_share_bps": 2500,
    "featured": False,
    "pay_payee": "余江区官田村村民委员会（幸福院）",
    "pay_account": "江西农商银行余江支行 6231 7501 3042 5163 749",
    "pay_phone": "139 7011 0825",
    "pay_note_zh": "转账时请在附言里写上订单号。微信或支付宝请转到上面的手机号（户名相同）。有问题请在早上8点到下午5点之间打这个电话。（演示数据，请勿真实转账）",
    "pay_note_en": "Please write the order reference in the transfer note. For WeChat Pay or Alipay, send to the phone number above (same account name). Call that number between 8:00 and 17:00 with any question. (Demo data: do not send real money.)",
    "palette": "terraces",
    "story_zh": (
        "官田村在丘陵之间，种稻、种茶。年轻人大多在外打工，留在村里的多是老人。\n"
        "幸福院把大家组织起来：身体好的老人照料茶园和菜地，有的老人把地入股，"
        "年底分红养老；空着的老屋修成了民宿，城里的客人来住、来采茶。"
        "销售收入的四分之一进入照护基金，用来给行动不便的老人送饭上门。"
    ),
    "story_en": (
        "Guantian lies among low hills of rice fields and tea gardens. Most young people work "
        "in the cities; those who stay are mostly elders.\n"
        "The happiness home brings them together: healthy elders tend the tea gardens and "
        "vegetable plots, some put their land into the cooperative and receive a share at the "
        "end of the year, and empty old houses have become homestay rooms where city guests "
        "stay and pick tea. A quarter of sales goes to the care fund, which pays for meals "
        "delivered to elders who cannot walk."
    ),
    "photos": [("村后山坡上的茶园", "Tea gardens on the hill behind the village")],
    "visit": {
        "tour": {
            "directions_zh": '从鹰潭北站打车约四十分钟到余江区官田村，幸福院在村中的祠堂旁边。村里有免费停车场。',
            "directions_en": 'From Yingtan North station a taxi takes about forty minutes to Guantian village in Yujiang; the home is beside the ancestral hall in the village centre. Free parking in the village.',
            "map_url": 'https://uri.amap.com/marker?position=116.82,28.21&name=%E5%AE%98%E7%94%B0%E6%9D%91%E5%B9%B8%E7%A6%8F%E9%99%A2',
            "included_zh": '老人讲解\n工具和材料\n茶水',
            "included_en": 'An elder as your guide\nTools and materials\nTea',
        },
        "homestay": {
            "directions_zh": '从鹰潭北站打车约四十分钟到余江区官田村，幸福院在村中的祠堂旁边。村里有免费停车场。',
            "directions_en": 'From Yingtan North station a taxi takes about forty minutes to Guantian village in Yujiang; the home is beside the ancestral hall in the village centre. Free parking in the village.',
            "map_url": 'https://uri.amap.com/marker?position=116.82,28.21&name=%E5%AE%98%E7%94%B0%E6%9D%91%E5%B9%B8%E7%A6%8F%E9%99%A2',
            "included_zh": '早餐（米粉、鸡蛋）\n干净的被褥和毛巾\n热水洗澡',
            "included_en": 'Breakfast (rice noodles, eggs)\nClean bedding and towels\nHot showers',
        },
    },
    "meeting_points": {
        "home": ("官田村幸福院门口", "Outside Guantian Happiness Home"),
        "tea": ("茶园入口的凉亭", "The pavilion at the tea garden entrance"),
        "field": ("村南稻田边的晒谷场", "The threshing ground by the southern rice fields"),
    },
    "elders": {
        "xu": {
            "display_name_zh": "徐春花奶奶",
            "display_name_en": "Grandma Xu Chunhua",
            "role": "grower",
            "consent_public": True,
            "incentive_bps": 1000,
            "bio_zh": "采了五十年茶，手快，一上午能采两斤鲜叶。",
            "bio_en": "Has picked tea for fifty years; her quick hands pick a kilo of fresh leaves in a morning.",
        },
        "wu": {
            "display_name_zh": "吴根生爷爷",
            "display_name_en": "Grandpa Wu Gensheng",
            "role": "grower",
            "consent_public": True,
            "incentive_bps": 1000,
            "bio_zh": "种了一辈子水稻，看天看云就知道哪天该割稻。",
            "bio_en": "A rice farmer all his life; he can tell from the sky when to cut the rice.",
        },
        "zou": {
            "display_name_zh": "邹建平师傅",
            "display_name_en": "Master Zou Jianping",
            "role": "artisan",
            "consent_public": True,
            "incentive_bps": 800,
            "bio_zh": "余江木雕的老手艺人，也编得一手好竹篮。",
            "bio_en": "A veteran of Yujiang wood carving who also weaves fine bamboo baskets.",
        },
    },
    "listings": [
        {
            "slug": "guantian-tea-picking",
            "kind": "tour",
            "featured": True,
            "title_zh": "官田茶园采茶炒茶",
            "title_en": "Pick and roast tea in the Guantian gardens",
            "description_zh": "跟徐奶奶上山采一芽一叶，回到幸福院的土灶上学炒茶，带走自己炒的二两茶。",
            "description_en": "Pick the bud and first leaf with Grandma Xu on the hill, then learn to roast "
            "tea in a wok on the home's wood stove. You take home 100 g of tea you roasted yourself.",
            "price_fen": 8800,
            "elder": "xu",
            "cancel_hours": 24,
            "tags": "采茶,炒茶",
            "sessions": {"days": (2, 5, 9, 12, 16, 23, 30, 37, 44, 51, 58), "time": "08:30",
                         "minutes": 210, "capacity": 12, "meet": "tea"},
        },
        {
            "slug": "guantian-rice-field-day",
            "kind": "tour",
            "title_zh": "稻田一日：跟吴爷爷下田",
            "title_en": "A day in the rice fields with Grandpa Wu",
            "description_zh": "看田、看水、认稻子，冬天翻田种油菜。中午在晒谷场边吃农家饭。请穿能弄脏的鞋。",
            "description_en": "Walk the fields, check the water and learn the rice plant; in winter we turn "
            "the soil and sow rapeseed. Lunch is a farmhouse meal by the threshing ground. Wear shoes "
            "that may get muddy.",
            "price_fen": 6800,
            "elder": "wu",
            "cancel_hours": 24,
            "tags": "稻田,农事",
            "sessions": {"days": (4, 11, 18, 25, 32, 39, 46, 53, 60), "time": "09:00",
                         "minutes": 300, "capacity": 15, "meet": "field"},
        },
        {
            "slug": "guantian-bamboo-basket-class",
            "kind": "tour",
            "title_zh": "竹编小篮子手作课",
            "title_en": "Weave a small bamboo basket",
            "description_zh": "邹师傅先劈好竹篾，教你起底、编身、收口，两个半小时编成一只小果篮。",
            "description_en": "Master Zou splits the bamboo strips beforehand and teaches you to start the "
            "base, weave the sides and finish the rim; a small fruit basket in two and a half hours.",
            "price_fen": 7800,
            "elder": "zou",
            "cancel_hours": 24,
            "tags": "竹编,手工",
            "sessions": {"days": (6, 13, 27, 41, 55), "time": "14:00",
                         "minutes": 150, "capacity": 8, "meet": "home"},
        },
        {
            "slug": "guantian-tea-hill-homestay",
            "kind": "homestay",
            "featured": True,
            "title_zh": "茶山民宿",
            "title_en": "Tea hill homestay",
            "description_zh": "半山腰的老屋，早上推开门就是茶园。含早餐，可代订采茶体验。",
            "description_en": "An old house halfway up the hill; open the door in the morning onto the tea "
            "gardens. Breakfast included; tea picking can be booked too.",
            "cancel_hours": 48,
            "tags": "民宿,茶园",
            "rooms": [
                ("观茶房", "Tea view room", 18800, 2,
                 "一张大床、观景阳台、独立卫生间", "Double bed, balcony with a view, private bathroom"),
                ("家庭房", "Family room", 25800, 4,
                 "两张大床、独立卫生间、含早餐", "Two double beds, private bathroom, breakfast"),
            ],
        },
        {
            "slug": "guantian-rice-fragrance-house",
            "kind": "homestay",
            "title_zh": "老屋民宿·稻香",
            "title_en": "Rice Fragrance, an old house stay",
            "description_zh": "稻田边修好的赣派老屋，天井、木窗、青砖。夜里听得见蛙声。",
            "description_en": "A restored Jiangxi-style house by the rice fields: a skywell, timber windows, "
            "grey brick. At night you can hear the frogs.",
            "cancel_hours": 48,
            "tags": "老屋,稻田",
            "rooms": [
                ("稻香房", "Rice fragrance room", 14800, 2,
                 "一张大床、独立卫生间", "Double bed, private bathroom"),
                ("天井双床房", "Skywell twin room", 13800, 2,
                 "两张单人床、共用卫生间", "Two single beds, shared bathroom"),
            ],
        },
        {
            "slug": "guantian-courtyard-room",
            "kind": "homestay",
            "title_zh": "幸福院旁的小院",
            "title_en": "Little courtyard next to the home",
            "description_zh": "就在幸福院隔壁，方便和老人们一起吃饭聊天。房间简朴干净。",
            "description_en": "Right next to the happiness home, so it is easy to eat and chat with the "
            "elders. A simple, clean room.",
            "cancel_hours": 24,
            "tags": "民宿,实惠",
            "rooms": [
                ("小院单间", "Courtyard room", 11800, 2,
                 "一张大床、电热毯", "Double bed, electric blanket"),
            ],
        },
        {
            "slug": "guantian-new-rice",
            "kind": "produce",
            "featured": True,
            "title_zh": "余江新米（5 公斤）",
            "title_en": "Yujiang new-season rice (5 kg)",
            "description_zh": "今年的晚稻，吴爷爷和村里的老人种的，现碾现发，米香浓。",
            "description_en": "This year's late rice, grown by Grandpa Wu and the village elders, milled "
            "just before it ships; full of fragrance.",
            "price_fen": 6800,
            "unit_zh": "袋",
            "unit_en": "bag",
            "elder": "wu",
            "stock": 100,
            "ships_to": MOST,
            "tags": "大米,新米",
        },
        {
            "slug": "guantian-spring-tea-preorder",
            "kind": "produce",
            "featured": True,
            "title_zh": "明前绿茶预售（100 克）",
            "title_en": "Pre-order: spring green tea picked before Qingming (100 g)",
            "description_zh": "清明前采的头茬嫩芽，徐奶奶和姐妹们手采手炒。现在预订，采摘后第一批发货。",
            "description_en": "The first tender buds, picked and roasted by hand before the Qingming "
            "festival by Grandma Xu and her friends. Order now; yours ships in the first batch after picking.",
            "price_fen": 12800,
            "unit_zh": "罐",
            "unit_en": "tin",
            "elder": "xu",
            "stock": 50,
            "harvest": (3, 28),
            "ships_to": MOST,
            "tags": "绿茶,预售",
        },
        {
            "slug": "guantian-free-range-eggs",
            "kind": "produce",
            "title_zh": "土鸡蛋（30 枚）",
            "title_en": "Free-range eggs (30)",
            "description_zh": "老人们在后山散养的土鸡下的蛋。鸡蛋易碎，只发江西省内。",
            "description_en": "Laid by hens the elders keep free on the hill behind the village. Eggs are "
            "fragile, so we only ship within Jiangxi.",
            "price_fen": 5800,
            "unit_zh": "盒",
            "unit_en": "box",
            "stock": 20,
            "ships_to": "江西省",
            "tags": "鸡蛋",
        },
        {
            "slug": "guantian-sweet-potato-noodles",
            "kind": "produce",
            "title_zh": "手工红薯粉丝（1 公斤）",
            "title_en": "Hand-made sweet potato noodles (1 kg)",
            "description_zh": "冬天打红薯粉、漏粉丝、挂在竹竿上晾干，一根根都是手工做的。",
            "description_en": "Made in winter: sweet potato starch pressed into noodles and hung on bamboo "
            "poles to dry, every strand by hand.",
            "price_fen": 3600,
            "unit_zh": "袋",
            "unit_en": "bag",
            "stock": 45,
            "ships_to": MOST,
            "tags": "粉丝,红薯",
        },
        {
            "slug": "guantian-camellia-oil",
            "kind": "produce",
            "title_zh": "山茶油（1 升）",
            "title_en": "Camellia seed oil (1 litre)",
            "description_zh": "霜降后摘的油茶果，晒干去壳，在村里的老油坊压榨。",
            "description_en": "Camellia fruit picked after the first frost, sun-dried, shelled and pressed "
            "at the village's old oil mill.",
            "price_fen": 13800,
            "unit_zh": "瓶",
            "unit_en": "bottle",
            "stock": 15,
            "ships_to": MOST,
            "tags": "茶油",
        },
        {
            "slug": "guantian-bamboo-basket",
            "kind": "craft",
            "title_zh": "竹编菜篮",
            "title_en": "Bamboo vegetable basket",
            "description_zh": "邹师傅编的大号菜篮，本地毛竹，结实耐用，能用十几年。",
            "description_en": "A large vegetable basket woven by Master Zou from local bamboo; strong "
            "enough to last a decade or more.",
            "price_fen": 12000,
            "unit_zh": "只",
            "unit_en": "basket",
            "elder": "zou",
            "made_to_order": True,
            "lead_days": 10,
            "ships_to": MOST,
            "tags": "竹编",
        },
        {
            "slug": "guantian-wood-carving",
            "kind": "craft",
            "title_zh": "余江木雕小摆件",
            "title_en": "Yujiang wood carving ornament",
            "description_zh": "樟木雕的耕牛、茶篓和稻穗，约 15 厘米高，每件都不一样。",
            "description_en": "Camphor wood carved into a ploughing ox, a tea basket or ears of rice, "
            "about 15 cm tall; no two are alike.",
            "price_fen": 26000,
            "unit_zh": "件",
            "unit_en": "piece",
            "elder": "zou",
            "made_to_order": True,
            "lead_days": 25,
            "ships_to": MOST,
            "tags": "木雕,非遗",
        },
    ],
}
