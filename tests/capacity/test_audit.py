"""What changed between two audit snapshots, field by field, as each reader may see it."""

from __future__ import annotations

from capacity import audit


def test_changes_lists_only_what_differs_in_order() -> None:
    before = {"free_beds": 3, "status": "open", "gone": 1}
    after = {"free_beds": 2, "status": "open", "new": [1, 2]}
    assert audit.changes(before, after) == [
        ("free_beds", 3, 2),
        ("gone", 1, None),
        ("new", None, [1, 2]),
    ]


def test_changes_of_a_creation_or_a_deletion_have_none_on_the_missing_side() -> None:
    assert audit.changes(None, {"places": 1}) == [("places", None, 1)]
    assert audit.changes({"places": 1}, None) == [("places", 1, None)]
    assert audit.changes(None, None) == []
    assert audit.changes({"a": None}, {}) == []  # a None and a missing field are the same


def test_changes_spread_nested_dicts_one_level() -> None:
    before = {"party": {"adults": 1, "children": [3]}, "deep": {"a": {"b": 1}}}
    after = {"party": {"adults": 2, "children": [3]}, "deep": {"a": {"b": 2}}}
    assert audit.changes(before, after) == [
        ("party.adults", 1, 2),
        ("deep.a", {"b": 1}, {"b": 2}),
    ]
    assert audit.changes({"party": {}}, {"party": {"adults": 1}}) == [
        ("party", {}, None),
        ("party.adults", None, 1),
    ]


def test_changes_mask_hidden_fields_by_name_parent_or_depth() -> None:
    hidden = audit.hidden_fields("staff", "bodo", "oslo")
    before = {"adviser_notes": None, "party": {"note": "a"}, "units": [{"intake_phone": "1"}]}
    after = {"adviser_notes": "secret", "party": {"note": "b"}, "units": [{"intake_phone": "2"}]}
    assert audit.changes(before, after, hidden) == [
        ("adviser_notes", audit.HIDDEN, audit.HIDDEN),
        ("party.note", audit.HIDDEN, audit.HIDDEN),
        ("units", [{"intake_phone": audit.HIDDEN}], [{"intake_phone": audit.HIDDEN}]),
    ]
    assert audit.changes({"latitude": 1.0}, {"latitude": 1.0}, hidden) == []
