"""Demo shipping tables: each home's own province cheapest, its neighbours cheap, the far west
dear, every other province ¥12 in 3–5 days (market/orders/shipping.py)."""

from models import Home, ShippingRate, db

NEIGHBOURS = {
    "河北省": ("北京市", "天津市", "山西省", "山东省", "河南省", "内蒙古自治区", "辽宁省"),
    "江西省": ("浙江省", "安徽省", "福建省", "湖北省", "湖南省", "广东省"),
    "安徽省": ("江苏省", "浙江省", "江西省", "山东省", "河南省", "湖北省", "上海市"),
}
FAR_WEST = ("新疆维吾尔自治区", "西藏自治区", "青海省")
# (fee fen, days min, days max)
OWN, NEAR, FAR, DEFAULT = (600, 1, 2), (800, 2, 3), (2500, 5, 8), (1200, 3, 5)


def table_rows(province: str) -> list[tuple[str | None, int, int, int]]:
    rows = [(None, *DEFAULT), (province, *OWN)]
    rows += [(name, *NEAR) for name in NEIGHBOURS.get(province, ())]
    rows += [(name, *FAR) for name in FAR_WEST if name != province]
    return rows


def seed_shipping(homes: list[Home]) -> None:
    """A shipping table for every demo home (no commit)."""
    for home in homes:
        for province, fee, low, high in table_rows(home.province_zh):
            db.session.add(ShippingRate(home_id=home.id, province=province, fee_fen=fee, days_min=low,
                                        days_max=high))
