"""China's provinces by their Chinese names (as stored) and English names (as shown in English)."""

from market.i18n import is_english

PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "Beijing"), ("天津市", "Tianjin"), ("河北省", "Hebei"), ("山西省", "Shanxi"),
    ("内蒙古自治区", "Inner Mongolia"), ("辽宁省", "Liaoning"), ("吉林省", "Jilin"),
    ("黑龙江省", "Heilongjiang"), ("上海市", "Shanghai"), ("江苏省", "Jiangsu"),
    ("浙江省", "Zhejiang"), ("安徽省", "Anhui"), ("福建省", "Fujian"), ("江西省", "Jiangxi"),
    ("山东省", "Shandong"), ("河南省", "Henan"), ("湖北省", "Hubei"), ("湖南省", "Hunan"),
    ("广东省", "Guangdong"), ("广西壮族自治区", "Guangxi"), ("海南省", "Hainan"),
    ("重庆市", "Chongqing"), ("四川省", "Sichuan"), ("贵州省", "Guizhou"), ("云南省", "Yunnan"),
    ("西藏自治区", "Tibet"), ("陕西省", "Shaanxi"), ("甘肃省", "Gansu"), ("青海省", "Qinghai"),
    ("宁夏回族自治区", "Ningxia"), ("新疆维吾尔自治区", "Xinjiang"),
)
PROVINCE_NAMES = tuple(zh for zh, _en in PROVINCES)
_ENGLISH = dict(PROVINCES)


def province_name(zh: str) -> str:
    """A stored (Chinese) province name in the reader's language."""
    return _ENGLISH.get(zh, zh) if is_english() else zh


def province_list(stored: str) -> str:
    """A listing's comma-separated `ships_to` as a list to read: '河北省、北京市', 'Hebei, Beijing'."""
    names = [province_name(name) for name in stored.split(",") if name]
    return (", " if is_english() else "、").join(names)
