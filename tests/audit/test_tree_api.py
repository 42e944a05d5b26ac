"""Signed checkpoints and the inclusion/consistency proof endpoints, checked independently."""

from __future__ import annotations

import httpx
from pymerkle import InmemoryTree

from devtools.auth_testing import authorization_cases, csrf_credentials
from infohus.kit.auth import Role
from infohus.kit.auth.route_rules import assert_every_route_has_a_rule
from services.audit.bootstrap import AuditContainer, bootstrap
from services.audit.domain.checkpoint import Checkpoint, load_public_key, verify_checkpoint
from services.audit.domain.merkle import verify_consistency, verify_inclusion
from services.audit.entrypoints.http import STATIC_PATHS
from tests.audit.builders import seed
from tests.audit.conftest import audit_app, public_key_b64
from tests.waiting import eventually


async def test_proofs_verify_against_a_signed_checkpoint_and_pymerkle(client, audit_sqlite, credentials) -> None:
    records = await seed(audit_sqlite, 7)
    signed = await client.post("/api/v1/checkpoints", headers=credentials.of(Role.ADMINISTRATOR))
    assert signed.status_code == 201
    checkpoint = Checkpoint.model_validate(signed.json())
    assert verify_checkpoint(checkpoint, load_public_key(public_key_b64(audit_sqlite)))
    assert (await client.get("/api/v1/checkpoints/latest", headers=credentials.auditor)).json() == signed.json()
    reference = InmemoryTree(algorithm="sha256")
    for record in records:
        reference.append_entry(bytes.fromhex(record.record_hash))
    assert checkpoint.tree_size == 7 and bytes.fromhex(checkpoint.root_hash) == reference.get_root(7)

    await seed(audit_sqlite, 5, first_id=8)  # the log grows after the checkpoint
    for record in records:
        proof = (await client.get(f"/api/v1/proofs/inclusion/{record.seq_no}",
                                  params={"tree_size": checkpoint.tree_size},
                                  headers=credentials.auditor)).json()
        assert proof["record_hash"] == record.record_hash and proof["root_hash"] == checkpoint.root_hash
        assert verify_inclusion(bytes.fromhex(record.record_hash), record.seq_no - 1, 7,
                                [bytes.fromhex(h) for h in proof["audit_path"]], bytes.fromhex(checkpoint.root_hash))
        assert [bytes.fromhex(h) for h in proof["audit_path"]] == \
            reference.prove_inclusion(record.seq_no, 7).path[1:]
    consistency = (await client.get("/api/v1/proofs/consistency", params={"old_size": 7},
                                  headers=credentials.auditor)).json()
    assert consistency["new_size"] == 12 and consistency["old_root"] == checkpoint.root_hash
    assert verify_consistency(7, 12, bytes.fromhex(checkpoint.root_hash), bytes.fromhex(consistency["new_root"]),
                              [bytes.fromhex(h) for h in consistency["proof"]])
    forged = [bytes.fromhex(h) for h in consistency["proof"]]
    forged[0] = bytes(32)
    assert not verify_consistency(7, 12, bytes.fromhex(checkpoint.root_hash),
                                  bytes.fromhex(consistency["new_root"]), forged)


async def test_proofs_outside_the_log_are_not_found(client, audit_sqlite, credentials) -> None:
    await seed(audit_sqlite, 2)
    auditor = credentials.auditor
    assert (await client.get("/api/v1/proofs/inclusion/3", headers=auditor)).status_code == 404
    assert (await client.get("/api/v1/proofs/consistency", params={"old_size": 3},
                             headers=auditor)).status_code == 404
    assert (await client.get("/api/v1/proofs/inclusion/1", params={"tree_size": 5},
                             headers=auditor)).status_code == 404
    assert (await client.get("/api/v1/proofs/inclusion/2", headers=auditor)).status_code == 200


async def test_every_route_refuses_the_roles_the_matrix_refuses(audit_sqlite, credentials) -> None:
    """Each audit route against every role and no sign-in at all: 401/403 exactly as the matrix says."""
    app = audit_app(audit_sqlite, credentials)
    assert_every_route_has_a_rule(app, STATIC_PATHS)
    cases = authorization_cases(app, STATIC_PATHS)
    assert {c.rule.path for c in cases} >= {"/api/v1/disclosures", "/api/v1/audit/queries/{query_id}",
                                            "/revision/{query_id}", "/api/v1/proofs/inclusion/{seq_no}"}
    cookies, csrf = csrf_credentials(app)  # the auditor's search form (POST /revision/Q1) carries a token
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://audit.test", cookies=cookies) as http:
        for case in cases:
            response = await http.request(case.method, case.path,
                                          headers=csrf | credentials.idp.headers_for(case.role))
            case.check(response.status_code)


async def test_a_started_service_reads_the_log_into_its_tree_before_the_first_proof(audit_sqlite) -> None:
    records = await seed(audit_sqlite, 9)
    restarted = bootstrap(audit_sqlite.settings)  # as after a restart: an empty tree over a full log
    assert restarted.tree.size == 0
    await restarted.runtime.start()  # the broker is unreachable here; the warm-up does not need it
    try:
        await eventually(lambda: _size_is(restarted, 9), within=10)
        assert restarted.tree.record_hash(9) == records[-1].record_hash
    finally:
        await restarted.runtime.stop()


async def _size_is(container: AuditContainer, size: int) -> bool:
    return container.tree.size == size
