from starlette.testclient import TestClient

from tests.support.world import World


def test_studio_page_lists_public_sessions(client: TestClient, world: World) -> None:
    response = client.get("/acme")
    assert response.status_code == 200
    assert "Portraits" in response.text
    assert "Hidden" not in response.text
