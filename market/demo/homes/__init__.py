"""The demo homes, one module each (plain data; `market.demo.seed` turns it into rows).

Elder keys ("elder") name an elder of the same home. Tours list their sessions as
(day offset, "HH:MM" local time, minutes, capacity, meeting point key). Goods name the
provinces they ship to with the lists below.
"""

NORTH = "北京市,天津市,河北省,山西省,山东省,河南省"
EAST = "上海市,江苏省,浙江省,安徽省,江西省,福建省"
MOST = ",".join([NORTH, EAST, "湖北省,湖南省,广东省"])
