"""Listings for the search tests: real Chinese and English text, a few homes in three provinces."""

from datetime import timedelta

from models import Home, Listing, Room, TourSession, db, utcnow


def build_catalog(make) -> dict:
    """Returns the rows by a short name."""
    hebei = make.home(slug="qiantun", name_zh="前屯村幸福院", name_en="Qiantun Village Home",
                      province_zh="河北省", province_en="Hebei", county_zh="肥乡区",
                      county_en="Feixiang", village_zh="前屯村", village_en="Qiantun")
    anhui = make.home(slug="xiaoling", name_zh="小岭村幸福院", name_en="Xiaoling Village Home",
                      province_zh="安徽省", province_en="Anhui", county_zh="泾县", county_en="Jing County",
                      village_zh="小岭村", village_en="Xiaoling")
    jiangxi = make.home(slug="huangling", name_zh="篁岭村幸福院", name_en="Huangling Village Home",
                        province_zh="江西省", province_en="Jiangxi", county_zh="婺源县",
                        county_en="Wuyuan", village_zh="篁岭村", village_en="Huangling")
    rows = dict(hebei=hebei, anhui=anhui, jiangxi=jiangxi)
    rows["paper"] = make.listing(
        anhui, "craft", slug="xuan-paper", title_zh="泾县手工宣纸（四尺单宣）",
        title_en="Handmade Xuan rice paper from Jing County",
        description_zh="小岭村老师傅按古法抄造的宣纸，适合书法与国画。",
        description_en="Rice paper made by hand in Xiaoling with the old method, for calligraphy "
                       "and painting.", tags="宣纸,书法,rice paper", price_fen=12800)
    rows["paper_tour"] = make.listing(
        anhui, "tour", slug="paper-workshop", title_zh="宣纸制作体验课",
        title_en="Papermaking workshop",
        description_zh="跟着非遗传承人学习捞纸、晒纸，带走自己做的一张纸。",
        description_en="Learn to lift and dry the sheets with a master of intangible heritage; "
                       "take your own sheet home.", tags="非遗,体验", price_fen=16800)
    rows["story"] = make.listing(
        hebei, "tour", slug="red-stories", title_zh="老党员讲红色故事",
        title_en="Village elders' storytelling walk",
        description_zh="村里的老党员带你走过旧址，讲抗战年代的红色故事和村子的变迁。",
        description_en="Elders tell the village's wartime history and how the village changed, "
                       "on a walk past the old sites.", tags="红色故事,讲故事,storytelling",
        price_fen=6800)
    rows["story2"] = make.listing(
        hebei, "tour", slug="village-change", title_zh="村史馆讲解：前屯村七十年",
        title_en="Seventy years of Qiantun: village history talk",
        description_zh="幸福院的老人讲述村子七十年的故事。",
        description_en="Older residents share stories of seventy years of change.", tags="村史",
        price_fen=3000)
    rows["tea"] = make.listing(
        jiangxi, "produce", slug="green-tea", title_zh="婺源绿茶（明前）",
        title_en="Wuyuan green tea, picked before Qingming",
        description_zh="高山茶园手工炒制，每罐二两。", description_en="Hand-fired mountain tea, 100 g a tin.",
        tags="茶叶,绿茶,green tea", price_fen=8800)
    rows["stay"] = make.listing(
        jiangxi, "homestay", slug="tea-house-stay", title_zh="篁岭茶园民宿",
        title_en="Tea garden homestay in Huangling",
        description_zh="住在老房子里，清晨去茶园采茶。",
        description_en="Stay in an old house; pick tea at dawn.",
        tags="民宿,采茶", price_fen=18800)
    rows["heritage"] = make.listing(
        anhui, "craft", slug="heritage-fan", title_zh="非遗传承人手作团扇",
        title_en="Round fan made by a heritage master",
        description_zh="宣纸扇面，竹制扇骨。", description_en="A paper fan on a bamboo frame.",
        tags="非遗,手工", price_fen=35000)
    rows["eggs"] = make.listing(
        jiangxi, "produce", slug="eggs", title_zh="散养土鸡蛋（30枚）",
        title_en="Free-range eggs (30)", description_zh="山里散养的鸡下的蛋。",
        description_en="Eggs from hens that roam the hill.", tags="鸡蛋", price_fen=4500)
    # Never found: a draft, an archived listing and the listing of a suspended home.
    suspended = make.home(slug="closed", name_zh="停业幸福院", name_en="Closed Home", status="suspended")
    rows["suspended_home"] = suspended
    rows["draft"] = make.listing(anhui, "craft", slug="draft-paper", status="draft",
                                 title_zh="宣纸草稿", title_en="Draft rice paper")
    rows["archived"] = make.listing(anhui, "craft", slug="old-paper", status="archived",
                                    title_zh="旧款宣纸", title_en="Old rice paper")
    rows["hidden"] = make.listing(suspended, "craft", slug="hidden-paper", title_zh="停业院宣纸",
                                  title_en="Rice paper of a closed home")
    rows["session"] = make.session(rows["story"], days=3)
    rows["paper_session"] = make.session(rows["paper_tour"], days=10)
    rows["room"] = make.room(rows["stay"])
    return rows


def public_count(**where) -> int:
    query = db.session.query(Listing).join(Home, Home.id == Listing.home_id).filter(
        Listing.status == "published", Home.status == "active")
    for key, value in where.items():
        query = query.filter(getattr(Listing, key) == value)
    return query.count()


__all__ = ["build_catalog", "public_count", "Room", "TourSession", "timedelta", "utcnow"]
