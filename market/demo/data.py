# ruff: noqa: E501  (prose data: long sentences read better unbroken)
"""The demo homes, elders and listings, shaped after the real "mutual aid +" models.

Plain data only; `market.demo.seed` turns it into rows. Three homes:
- Qiantun (Feixiang, Hebei): the first village happiness home (2008); elders tell red-history
  and village-change stories; homespun cloth.
- Xiaoling (Jing county, Anhui): a Xuan rice-paper village; papermaking workshops, paper for sale.
- Guantian (Yujiang, Jiangxi): tea and rice; homestay rooms and produce.

Elder keys ("elder") name an elder of the same home. Tours list their sessions as
(day offset, "HH:MM" local time, minutes, capacity, meeting point key).
"""

PASSWORD = "demo-pass-2026"

NORTH = "北京市,天津市,河北省,山西省,山东省,河南省"
EAST = "上海市,江苏省,浙江省,安徽省,江西省,福建省"
MOST = ",".join([NORTH, EAST, "湖北省,湖南省,广东省"])

HOMES = [
    {
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
    },
    {
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
    },
    {
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
    },
]

# (label printed by `flask demo seed`, email, name, home slug or None, role or None, is_admin)
ACCOUNTS = [
    ("customer", "customer@demo.example.com", "陈晓雨", None, None, False),
    ("staff, Qiantun", "staff.qiantun@demo.example.com", "李红梅", "qiantun", "staff", False),
    ("supervisor, Qiantun committee", "committee.qiantun@demo.example.com", "郭建国", "qiantun",
     "supervisor", False),
    ("staff, Xiaoling", "staff.xiaoling@demo.example.com", "曹丽", "xiaoling", "staff", False),
    ("staff, Guantian", "staff.guantian@demo.example.com", "吴小芳", "guantian", "staff", False),
    ("admin", "admin@demo.example.com", "平台管理员", None, None, True),
]
