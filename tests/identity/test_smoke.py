from tests.identity.conftest import Identity


async def test_admin_logs_in(identity: Identity) -> None:
    admin = await identity.admin()
    response = await identity.client.get("/me", headers=admin.auth)
    assert response.status_code == 200, response.text
    member = await identity.member(admin)
    assert member.organisation_id == admin.organisation_id
