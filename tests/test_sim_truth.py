"""The simulator's account of what each gate knows (gatesim/truth.py): shared presence, a gate cut
off from its peers, healing by latest movement, and the double entry a partition lets through."""

from __future__ import annotations

from gatesim.truth import Truth

GATES = {"north", "south", "east"}


def shared_truth(cap=None) -> Truth:
    return Truth("hard", cap, shared=True, gate_count=3)


def test_a_movement_is_known_by_every_gate_it_reaches():
    t = shared_truth()
    t.record("north", "entry", "ann", True, 10.0, reach=GATES)
    assert all("ann" in t.inside(g) for g in GATES)
    assert t.expect("south", "entry", "ann", "valid") == (False, "already_inside", "entry")
    t.record("south", "exit", "ann", True, 20.0, reach=GATES)  # left by another gate
    assert t.expect("north", "entry", "ann", "valid") == (True, "granted", "entry")
    assert not t.expected_conflicts


def test_a_cut_off_gate_decides_on_what_it_knows_and_heals_by_time():
    t = shared_truth()
    t.record("north", "entry", "ann", True, 10.0, reach=GATES)
    t.isolated.add("east")
    t.record("north", "exit", "ann", True, 20.0, reach={"north", "south"})
    assert "ann" in t.inside("east") and "ann" not in t.inside("north")
    t.record("east", "exit", "bob", True, 25.0, reach={"east"})
    assert t.expect("east", "auto", "ann", "valid")[2] == "exit"  # east still believes ann inside
    # cat's pass (or its screenshot) at east, then at north: neither side can know of the other
    t.record("east", "entry", "cat", True, 30.0, reach={"east"})
    t.record("north", "entry", "cat", True, 31.0, reach={"north", "south"})
    assert t.decided_alone == 2
    assert t.expected_conflicts == [{"holder": "cat", "gates": ["east", "north"], "at": 31.0}]
    t.isolated.discard("east")
    combined = t.merge(GATES)
    assert combined["ann"][1] == "exit" and combined["cat"][:2] == (31.0, "entry")
    assert all(t.inside(g) == {"cat"} == t.site_inside() for g in GATES)


def test_a_cap_may_be_met_early_only_where_shares_can_bind():
    t = shared_truth(cap=10)
    for i in range(3):
        t.record("north", "entry", f"p{i}", True, float(i), reach=GATES)
    assert t.also_acceptable("south", "entry", "new", "valid") == set()  # far from full: exact
    for i in range(3, 8):
        t.record("north", "entry", f"p{i}", True, float(i), reach=GATES)
    assert t.also_acceptable("south", "entry", "new", "valid") == {(False, "occupancy_full")}
    assert t.expect("south", "entry", "new", "valid") == (True, "granted", "entry")
    for i in range(8, 10):
        t.record("north", "entry", f"p{i}", True, float(i), reach=GATES)
    assert t.expect("south", "entry", "new", "valid") == (False, "occupancy_full", "entry")
    assert t.most_inside == 10


def test_without_shared_presence_each_gate_knows_only_its_own():
    t = Truth("hard", None, shared=False, gate_count=2)
    t.record("north", "entry", "ann", True, 10.0, reach={"north"})
    t.record("south", "exit", "ann", True, 20.0, reach={"south"})
    assert t.inside("north") == {"ann"} and t.inside("south") == set()
    assert t.expect("south", "exit", "ann", "valid") == (True, "granted_not_inside", "exit")
    assert not t.expected_conflicts
