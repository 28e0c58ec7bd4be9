"""The public audit log of a home's rules: who changed the care share, a listing's share, an
elder's incentive, the platform fee, the staff and the supervisors; in the Merkle log."""

import json
import re

from sqlalchemy import select

from market.ledger import audit, merkle
from market.ledger.verify import verify_ledger
from models import JournalEntry, Membership, db
from tests.conftest import login, post_form
from tests.ledger.test_verify import tamper

HOME_FORM = {"name_zh": "官田村幸福院", "name_en": "Guantian Village Happiness Home", "slug": "guantian",
             "province_zh": "江西省", "province_en": "Jiangxi", "county_zh": "余江区", "county_en": "Yujiang",
             "village_zh": "官田村", "village_en": "Guantian", "story_zh": "茶与米的村庄",
             "story_en": "A village of tea and rice", "status": "active"}


def _audit_entries(home_id=None):
    query = select(JournalEntry).where(JournalEntry.kind == "audit").order_by(JournalEntry.seq)
    if home_id is not None:
        query = query.where(JournalEntry.home_id == home_id)
    return list(db.session.scalars(query))


def test_an_admins_change_of_care_share_is_in_the_public_log_and_verified(client, make, english):
    admin = make.user(is_admin=True, name="Admin Li")
    home = make.home(slug="guantian", care_share_bps=2000)
    login(client, admin)
    response = post_form(client, f"/admin/homes/{home.id}/edit", dict(HOME_FORM, care_share="30"))
    assert response.status_code == 302
    [entry] = _audit_entries(home.id)
    change = json.loads(entry.memo)
    assert change == {"what": "care_share", "subject": {}, "before": 2000, "after": 3000,
                      "by": {"user": admin.id, "name": "Admin Li", "admin": True}}
    assert entry.postings == []
    # On the home's public fund page: what, before, after, who, and a link to the log entry.
    page = re.sub(r"\s+", " ", client.get("/fund/guantian").get_data(as_text=True))
    row = re.search(r'<table class="fund-changes">.*?</table>', page).group(0)
    assert "Care share of the home" in row and "20%" in row and "30%" in row
    assert "Admin Li (platform administrator)" in row and f"/ledger/entries/{entry.seq}" in row
    # Covered by the verified log: verify passes, the leaf hash is recomputed from the memo, and
    # the entry's inclusion proof checks against the signed head.
    report = verify_ledger()
    assert report.ok, report.problems
    proof = client.get(f"/ledger/entries/{entry.seq}/proof").get_json()
    assert proof["leaf_hash"] == entry.leaf_hash
    assert proof["verified"] and proof["signed_head"]["root"] == proof["root"]
    path = [bytes.fromhex(h) for h in proof["audit_path"]]
    assert merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], bytes.fromhex(proof["leaf_hash"]),
                                   path, bytes.fromhex(proof["root"]))
    entry_page = client.get(f"/ledger/entries/{entry.seq}").get_data(as_text=True)
    assert "This entry moves no money" in entry_page
    # Saving the form again without a change logs nothing.
    post_form(client, f"/admin/homes/{home.id}/edit", dict(HOME_FORM, care_share="30"))
    assert len(_audit_entries(home.id)) == 1


def test_a_changed_memo_of_an_audit_entry_fails_verify(app, make):
    home = make.home()
    audit.record_change(home_id=home.id, what="care_share", subject={}, before=2000, after=3000,
                        actor={"user": 1, "name": "A", "admin": True})
    db.session.commit()
    assert verify_ledger().ok
    memo = json.dumps({"what": "care_share", "subject": {}, "before": 2000, "after": 2000})
    tamper(f"UPDATE ledger_entries SET memo = '{memo}' WHERE kind = 'audit'", "ledger_entries")
    report = verify_ledger()
    assert not report.ok and "leaf hash" in str(report.first_problem)


def test_members_listing_shares_elder_incentives_and_the_fee_are_logged(app, client, make, english):
    admin = make.user(is_admin=True, name="Admin Li")
    home = make.home(slug="qiantun")
    make.user(email="wang@example.com", name="Wang Wu")
    login(client, admin)
    members = f"/admin/homes/{home.id}/members"
    edit = f"/admin/homes/{home.id}/edit"
    post_form(client, members, {"identifier": "wang@example.com", "role": "staff"}, form_url=edit)
    post_form(client, members, {"identifier": "wang@example.com", "role": "supervisor"}, form_url=edit)
    membership = db.session.scalar(select(Membership).where(Membership.home_id == home.id))
    post_form(client, f"{members}/{membership.id}/remove", {}, form_url=edit)
    roles = [(json.loads(e.memo)["before"], json.loads(e.memo)["after"]) for e in _audit_entries(home.id)]
    assert roles == [(None, "staff"), ("staff", "supervisor"), ("supervisor", None)]

    staff = make.member(home, "staff", name="Staff Zhao")
    elder = make.elder(home, incentive_bps=500)
    client = app.test_client()  # the staff's own browser
    client.set_cookie("lang", "en")
    login(client, staff)
    from tests.manage.test_listings import _listing_data

    post_form(client, "/manage/qiantun/listings/new/craft",
              _listing_data(care_share="35", stock="10", unit_zh="刀", unit_en="ream", title_zh="宣纸"))
    post_form(client, f"/manage/qiantun/elders/{elder.id}/edit",
              {"display_name_zh": "王奶奶", "display_name_en": "Grandma Wang", "role": "storyteller",
               "incentive": "8", "consent_public": "y"})
    from flask import current_app

    current_app.config["PLATFORM_FEE_BPS"] = 600
    assert audit.note_current_platform_fee() is not None
    assert audit.note_current_platform_fee() is None  # unchanged: nothing more
    whats = [(c.what, c.before, c.after) for c in audit.home_changes(home.id)]
    assert whats[:3] == [("platform_fee", None, 600), ("elder_incentive", 500, 800),
                         ("listing_care_share", None, 3500)]
    page = re.sub(r"\s+", " ", client.get("/fund/qiantun").get_data(as_text=True))
    assert "Care share of “宣纸”" in page and "the home&#39;s share" in page and "35%" in page
    assert "Incentive of elder 王奶奶" in page and "Staff Zhao" in page
    assert "Platform fee (every home)" in page and "the platform&#39;s setting" in page
    assert "Role of Wang Wu" in page and "not a member" in page
    assert verify_ledger().ok
    # The money tables and the CSV leave the audit entries out.
    csv_text = client.get("/fund/qiantun/entries.csv").get_data(as_text=True)
    assert csv_text.count("\n") == 1


def test_the_export_tool_accepts_audit_entries_and_refuses_money_in_them(app, make, tmp_path):
    import subprocess
    import sys

    from market.ledger.export import entries_as_json

    home = make.home()
    audit.record_change(home_id=home.id, what="care_share", subject={}, before=None, after=2000,
                        actor={"user": None, "name": "", "admin": False})
    db.session.commit()
    export = entries_as_json(home.id, None, None)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(export))
    ok = subprocess.run([sys.executable, "tools/verify_export.py", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    export["entries"][0]["leaf"]["postings"] = [{"account": "platform/fee_revenue", "amount": 0,
                                                  "line": None, "share": None}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(export))
    refused = subprocess.run([sys.executable, "tools/verify_export.py", str(bad)],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "audit entry with postings" in refused.stderr
