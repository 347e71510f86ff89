from tests.e2e.conftest import run_axe


def test_home_page_renders(world, browse, shots):
    page = browse.page("visitor")
    page.goto("/")
    shots.step("home")
    assert page.locator("h1").count() >= 1
    print(run_axe(page))
    assert page.errors == []
