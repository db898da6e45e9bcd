from tests.support.world import PEER, SUPERIOR, World


def test_one_record_is_credited_with_points_from_the_rule(world: World) -> None:
    a = world.residents[0]
    receipt, rid = world.credit_one(a, category=1, units=3)
    (event,) = world.events(receipt, "RecordCredited")
    assert event["args"]["recordId"] == rid
    assert event["args"]["points"] == 30
    assert world.credit(a) == 30


def test_snapshot_isolation(world: World) -> None:
    assert world.credit(world.residents[0]) == 0
    signed, rid = world.claim(world.residents[1])
    world.relay(
        [signed], world.endorse([rid], [(world.superior, SUPERIOR), (world.residents[2], PEER)])
    )
    assert world.credit(world.residents[1]) == 10
