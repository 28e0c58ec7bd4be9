"""The demo data, shaped after the real "mutual aid +" models: three homes and their accounts.

- Qiantun (Feixiang, Hebei): the first village happiness home (2008); elders tell red-history
  and village-change stories; homespun cloth.
- Xiaoling (Jing county, Anhui): a Xuan rice-paper village; papermaking workshops, paper for sale.
- Guantian (Yujiang, Jiangxi): tea and rice; homestay rooms and produce.
"""

from market.demo.homes import guantian, qiantun, xiaoling

PASSWORD = "demo-pass-2026"
HOMES = [qiantun.HOME, xiaoling.HOME, guantian.HOME]
# (label printed by `flask demo seed`, email, name, home slug or None, role or None, is_admin)
ACCOUNTS = [
    ("customer", "customer@demo.example.com", "陈晓雨", None, None, False),
    ("staff, Qiantun", "staff.qiantun@demo.example.com", "李红梅", "qiantun", "staff", False),
    ("supervisor, Qiantun committee", "committee.qiantun@demo.example.com", "郭建国", "qiantun",
     "supervisor", False),
    ("staff, Xiaoling", "staff.xiaoling@demo.example.com", "曹丽", "xiaoling", "staff", False),
    ("staff, Guantian", "staff.guantian@demo.example.com", "吴小芳", "guantian", "staff", False),
    ("admin", "admin@demo.example.com", "平台管理员", None, None, True),
    ("volunteer, Qiantun time bank", "volunteer.qiantun@demo.example.com", "张志强", None, None, False),
]
