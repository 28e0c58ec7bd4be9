from tests.conftest import login


def test_home_page_lists_featured_listing(client, make):
    home = make.home()
    make.listing(home, title_zh="农家土鸡蛋", title_en="Free-range eggs")
    page = client.get("/")
    assert page.status_code == 200
    assert "农家土鸡蛋" in page.get_data(as_text=True)


def test_login_works(client, make):
    user = make.user()
    login(client, user)
