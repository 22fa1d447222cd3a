"""A NUL character in a path segment is a clear 400, not a database error (500)."""

import pytest

from tests.conftest import text_of

NUL_MESSAGE = "The request contained a character that cannot be stored (NUL)."


@pytest.mark.parametrize(
    "url", ["/notifications/for/or%00der/1", "/customers/%00", "/settings/users%00"]
)
def test_a_nul_in_the_path_is_a_400_with_a_message(auth, url):
    response = auth.get(url)
    assert response.status_code == 400
    assert NUL_MESSAGE in text_of(response)


def test_a_nul_in_the_path_of_an_htmx_request_is_a_readable_fragment(auth):
    response = auth.get("/notifications/for/or%00der/1", headers={"HX-Request": "true"})
    assert response.status_code == 400 and response.headers["HX-Retarget"] == "#htmx-error"
    assert NUL_MESSAGE in text_of(response)
