"""The local Azure Policy evaluator follows Microsoft's documented semantics and refuses what it does not model.

Where Microsoft documents a worked example (the ipRules table, the stringArray/objectArray counts), the
test replays that example with the documented result.
"""

import pytest

from tests.support.azure_policy_eval import (
    PolicyLanguageError,
    TemplateFunctionError,
    evaluate,
    evaluate_condition,
)

TEST = "Microsoft.Test/resourceType"
TEST_ALIASES = {
    f"{TEST}/stringArray": "properties.stringArray",
    f"{TEST}/stringArray[*]": "properties.stringArray[*]",
    f"{TEST}/missingArray[*]": "properties.missingArray[*]",
    f"{TEST}/missing": "properties.missing",
    f"{TEST}/objectArray[*]": "properties.objectArray[*]",
    f"{TEST}/objectArray[*].property": "properties.objectArray[*].property",
    f"{TEST}/objectArray[*].nestedArray[*]": "properties.objectArray[*].nestedArray[*]",
    f"{TEST}/text": "properties.text",
    f"{TEST}/number": "properties.number",
    "Microsoft.Storage/storageAccounts/networkAcls.ipRules[*].value": "properties.networkAcls.ipRules[*].value",
    "Microsoft.Storage/storageAccounts/networkAcls.ipRules": "properties.networkAcls.ipRules",
}
# The example resource of "Author policies for array properties".
RESOURCE = {
    "type": TEST,
    "name": "example",
    "tags": {"env": "prod"},
    "properties": {
        "stringArray": ["a", "b", "c"],
        "objectArray": [{"property": "value1", "nestedArray": [1, 2]}, {"property": "value2", "nestedArray": [3, 4]}],
        "text": "Hello-World",
        "number": 7,
    },
}


def check(condition, resource=RESOURCE, **params):
    return evaluate_condition(condition, resource, parameter_values=params, aliases=TEST_ALIASES)


def rule(condition, parameters=None, mode="All"):
    return {
        "mode": mode,
        "parameters": parameters or {},
        "policyRule": {"if": condition, "then": {"effect": "[parameters('effect')]"}},
    }


EFFECT = {"effect": {"type": "String", "allowedValues": ["Deny", "Audit", "Disabled"], "defaultValue": "Deny"}}


# -- documented semantics ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition, expected",
    [
        ({"field": f"{TEST}/text", "equals": "hello-world"}, True),
        ({"field": f"{TEST}/text", "notEquals": "HELLO-WORLD"}, False),
        ({"field": f"{TEST}/text", "in": ["x", "HELLO-world"]}, True),
        ({"field": f"{TEST}/text", "notIn": ["hello-world"]}, False),
        ({"field": f"{TEST}/text", "like": "hello-*"}, True),
        ({"field": f"{TEST}/text", "like": "*-WORLD"}, True),
        ({"field": f"{TEST}/text", "like": "hello"}, False),
        ({"field": f"{TEST}/text", "notLike": "x*"}, True),
        ({"field": f"{TEST}/text", "contains": "O-w"}, True),
        ({"field": f"{TEST}/text", "notContains": "o-W"}, False),
        ({"field": "type", "equals": "microsoft.test/RESOURCETYPE"}, True),
        ({"field": f"{TEST}/number", "greater": 6}, True),
        ({"field": f"{TEST}/number", "lessOrEquals": 6}, False),
    ],
)
def test_string_conditions_ignore_case_and_numbers_compare(condition, expected):
    assert check(condition) is expected


@pytest.mark.parametrize(
    "condition, expected",
    [
        ({"field": f"{TEST}/missing", "equals": "x"}, False),
        ({"field": f"{TEST}/missing", "notEquals": "x"}, True),
        ({"field": f"{TEST}/missing", "in": ["x"]}, False),
        ({"field": f"{TEST}/missing", "notIn": ["x"]}, True),
        ({"field": f"{TEST}/missing", "like": "*"}, False),
        ({"field": f"{TEST}/missing", "notLike": "*"}, True),
        ({"field": f"{TEST}/missing", "exists": "false"}, True),
        ({"field": f"{TEST}/text", "exists": True}, True),
        ({"value": f"[field('{TEST}/missing')]", "equals": ""}, True),
    ],
)
def test_a_missing_property_is_null_and_field_function_gives_empty_string(condition, expected):
    assert check(condition) is expected


STORAGE = {
    "type": "Microsoft.Storage/storageAccounts",
    "properties": {
        "networkAcls": {
            "ipRules": [{"value": "127.0.0.1", "action": "Allow"}, {"value": "192.168.1.1", "action": "Allow"}]
        }
    },
}
IP = "Microsoft.Storage/storageAccounts/networkAcls.ipRules[*].value"


@pytest.mark.parametrize(
    "condition, effect_applies",
    [
        # Microsoft's "[*] alias" scenario table, row by row: true only if every element meets the condition.
        ({"field": IP, "notEquals": "127.0.0.1"}, False),
        ({"field": IP, "notEquals": "10.0.4.1"}, True),
        ({"not": {"field": IP, "equals": "127.0.0.1"}}, True),
        ({"not": {"field": IP, "equals": "10.0.4.1"}}, True),
        ({"not": {"field": IP, "notEquals": "127.0.0.1"}}, True),
        ({"not": {"field": IP, "notEquals": "10.0.4.1"}}, False),
        ({"field": IP, "equals": "127.0.0.1"}, False),
        ({"field": IP, "equals": "10.0.4.1"}, False),
    ],
)
def test_star_alias_outside_count_must_hold_for_every_element(condition, effect_applies):
    full = {"allOf": [{"field": "Microsoft.Storage/storageAccounts/networkAcls.ipRules", "exists": "true"}, condition]}
    assert evaluate(rule(full, EFFECT), STORAGE, aliases=TEST_ALIASES).matched is effect_applies


def test_star_alias_over_an_empty_or_missing_array_is_vacuously_true_and_counts_zero():
    assert check({"field": f"{TEST}/missingArray[*]", "equals": "anything"}) is True
    assert check({"count": {"field": f"{TEST}/missingArray[*]"}, "equals": 0}) is True


def test_documented_count_examples():
    assert check({"count": {"field": f"{TEST}/stringArray[*]"}, "equals": 3})
    assert check({"count": {"field": f"{TEST}/objectArray[*].nestedArray[*]"}, "greaterOrEquals": 4})
    assert check(
        {
            "count": {"field": f"{TEST}/stringArray[*]", "where": {"field": f"{TEST}/stringArray[*]", "equals": "a"}},
            "equals": 1,
        }
    )
    # Each iteration sees only the current member, also for aliases below it.
    assert check(
        {
            "count": {
                "field": f"{TEST}/objectArray[*]",
                "where": {
                    "allOf": [
                        {"field": f"{TEST}/objectArray[*].property", "equals": "value2"},
                        {"field": f"{TEST}/objectArray[*].nestedArray[*]", "greater": 2},
                    ]
                },
            },
            "equals": 1,
        }
    )
    # Fields outside the array keep their value in every iteration.
    assert check(
        {"count": {"field": f"{TEST}/objectArray[*]", "where": {"field": "name", "equals": "example"}}, "equals": 2}
    )


def test_nested_field_counts_enumerate_the_current_members_array():
    nested = {
        "count": {
            "field": f"{TEST}/objectArray[*]",
            "where": {
                "allOf": [
                    {"field": f"{TEST}/objectArray[*].property", "equals": "value2"},
                    {
                        "count": {
                            "field": f"{TEST}/objectArray[*].nestedArray[*]",
                            "where": {"field": f"{TEST}/objectArray[*].nestedArray[*]", "equals": 3},
                        },
                        "greater": 0,
                    },
                ]
            },
        },
        "equals": 1,
    }
    assert check(nested)


def test_field_function_of_the_counted_alias_is_a_one_element_array_and_first_unwraps_it():
    member = f"{TEST}/stringArray[*]"
    assert check(
        {"count": {"field": member, "where": {"field": member, "equals": f"[field('{member}')]"}}, "equals": 0}
    )
    assert check(
        {"count": {"field": member, "where": {"field": member, "equals": f"[first(field('{member}'))]"}}, "equals": 3}
    )
    assert check(
        {"count": {"field": member, "where": {"value": f"[current('{member}')]", "in": ["a", "c"]}}, "equals": 2}
    )


def test_value_count_with_current_by_name_and_without_name():
    named = {
        "count": {
            "value": "[parameters('patterns')]",
            "name": "pattern",
            "where": {"field": "name", "like": "[current('pattern')]"},
        },
        "greater": 0,
    }
    assert check(named, patterns=["ex*", "zz*"]) is True
    assert check(named, patterns=["zz*"]) is False
    assert check({"count": {"value": ["ex*", "y*"], "where": {"field": "name", "like": "[current()]"}}, "equals": 1})


def test_value_count_inside_field_count_sees_both_current_members():
    condition = {
        "count": {
            "field": f"{TEST}/stringArray[*]",
            "where": {
                "count": {
                    "value": ["b", "c", "d"],
                    "name": "allowed",
                    "where": {"value": f"[current('{TEST}/stringArray[*]')]", "equals": "[current('allowed')]"},
                },
                "equals": 0,
            },
        },
        "equals": 1,
    }
    assert check(condition)  # only "a" is in no allowed value


def test_if_evaluates_only_the_chosen_branch_and_int_failure_is_an_error():
    assert check({"value": "[if(true(), 1, int('x'))]", "equals": 1})
    assert check({"value": "[int(last(split('20-25', '-')))]", "equals": 25})
    with pytest.raises(TemplateFunctionError, match="int"):
        check({"value": "[if(false(), 1, int('x'))]", "equals": 1})
    with pytest.raises(TemplateFunctionError, match="int"):
        # and() evaluates every argument here: a rule must not rely on short-circuiting.
        check({"value": "[and(false(), equals(int('x'), 1))]", "equals": False})


def test_template_functions_used_by_our_rules():
    # field() of a missing property is "", which is not null, so coalesce keeps it.
    assert check({"value": f"[coalesce(field('{TEST}/missing'), 'fallback')]", "equals": ""})
    assert check({"value": "[first(split('', '-'))]", "equals": ""})
    assert check({"value": "[empty('')]", "equals": True})
    assert check({"value": "[string(22)]", "equals": "22"})
    assert check({"value": "[contains('20-25', '-')]", "equals": "true"})
    assert check({"value": "[concat('a', 'b')]", "equals": "AB"})
    assert check({"value": "[length(split('a-b-c', '-'))]", "equals": 3})
    assert check({"value": "[toLower('ABC')]", "equals": "abc"})
    assert check({"value": "[[not-an-expression]", "equals": "[[not-an-expression]"})


def test_an_evaluation_failure_is_an_implicit_deny_even_for_audit():
    failing = rule({"value": "[int('x')]", "equals": 1}, EFFECT)
    verdict = evaluate(failing, RESOURCE, {"effect": "Audit"}, aliases=TEST_ALIASES)
    assert verdict.denied and verdict.failure == "int('x'): not an integer"


def test_effects_and_parameters():
    matching = rule({"field": "name", "equals": "example"}, EFFECT)
    assert evaluate(matching, RESOURCE).denied
    audited = evaluate(matching, RESOURCE, {"effect": {"value": "Audit"}})
    assert audited.audited and not audited.denied
    disabled = evaluate(matching, RESOURCE, {"effect": "Disabled"})
    assert not disabled.denied and not disabled.matched
    with pytest.raises(PolicyLanguageError, match="allowedValues"):
        evaluate(matching, RESOURCE, {"effect": "Modify"})
    with pytest.raises(PolicyLanguageError, match="does not declare"):
        evaluate(matching, RESOURCE, {"ports": [22]})
    with pytest.raises(PolicyLanguageError, match="must be String"):
        evaluate(matching, RESOURCE, {"effect": ["Deny"]})


def test_an_alias_applies_only_to_its_own_resource_type():
    vm = {"type": "Microsoft.Compute/virtualMachines", "properties": {"stringArray": ["a"], "text": "hello-world"}}
    assert check({"field": f"{TEST}/text", "exists": False}, vm)
    assert check({"count": {"field": f"{TEST}/stringArray[*]"}, "equals": 0}, vm)


# -- strictness: anything unmodelled is an error, never a silent pass --------------------------------


@pytest.mark.parametrize(
    "condition, message",
    [
        ({"field": f"{TEST}/text", "match": "He##o"}, "unsupported condition keys"),
        ({"field": f"{TEST}/text", "containsKey": "x"}, "unsupported condition keys"),
        ({"field": f"{TEST}/text", "equals": "a", "notEquals": "b"}, "unsupported condition keys"),
        ({"field": f"{TEST}/nope", "equals": "a"}, "alias 'Microsoft.Test/resourceType/nope' is not modelled"),
        ({"allOf": []}, "non-empty list"),
        ({"anyOf": [{"field": "name", "equals": "x"}], "not": {}}, "must be alone"),
        ({"field": f"{TEST}/text", "like": "*ell*"}, "more than one wildcard"),
        ({"field": f"{TEST}/text", "contains": "He*"}, "cannot hold the wildcard"),
        ({"field": f"{TEST}/text", "in": "Hello-World"}, "needs an array"),
        ({"field": f"{TEST}/text", "greater": "A"}, "string ordering"),
        ({"field": f"{TEST}/number", "equals": "7"}, "mixed or complex types"),
        ({"field": f"{TEST}/text", "equals": "héllo"}, "non-ASCII"),
        ({"count": {"field": f"{TEST}/stringArray"}, "equals": 3}, "must be an \\[\\*\\] alias"),
        ({"count": {"field": f"{TEST}/stringArray[*]"}, "like": "3"}, "a count compares with"),
        (
            {
                "count": {
                    "field": f"{TEST}/stringArray[*]",
                    "where": {"count": {"value": [1], "where": {"value": "[current()]", "equals": 1}}, "equals": 1},
                },
                "equals": 3,
            },
            "needs a 'name'",
        ),
        ({"value": "[current()]", "equals": 1}, "only available inside count.where"),
        ({"value": "[ipRangeContains('10.0.0.0/8', '10.1.0.0/16')]", "equals": True}, "ipRangeContains\\(\\) is not"),
        ({"value": "[utcNow()]", "equals": "x"}, "utcNow\\(\\) is not modelled"),
        ({"value": "[equals('a', 'A')]", "equals": True}, "ARM equals\\(\\) ignores case"),
        ({"value": "[if(true, 1, 2)]", "equals": 1}, "expected \\("),
        ({"value": "[int(' 22')]", "equals": 22}, "whitespace"),
        ({"value": "[parameters('nope')]", "equals": 1}, "no such parameter"),
    ],
)
def test_unmodelled_constructs_are_refused(condition, message):
    with pytest.raises(PolicyLanguageError, match=message):
        check(condition)


def test_a_reference_part_way_into_the_counted_array_is_refused():
    aliases = {
        f"{TEST}/objectArray[*].nestedArray[*]": "properties.objectArray[*].nestedArray[*]",
        f"{TEST}/objectArray[*].property": "properties.objectArray[*].property",
    }
    condition = {
        "count": {
            "field": f"{TEST}/objectArray[*].nestedArray[*]",
            "where": {"field": f"{TEST}/objectArray[*].property", "equals": "value1"},
        },
        "equals": 2,
    }
    with pytest.raises(PolicyLanguageError, match="part way"):
        evaluate_condition(condition, RESOURCE, aliases=aliases)


def test_authoring_limits_are_enforced():
    many = {"allOf": [{"count": {"value": [1]}, "equals": 1}] * 11}
    with pytest.raises(PolicyLanguageError, match="more than 10 value count"):
        check(many)
    nested = {
        "count": {
            "value": list(range(11)),
            "name": "a",
            "where": {"count": {"value": list(range(10)), "name": "b"}, "equals": 10},
        },
        "equals": 11,
    }
    with pytest.raises(TemplateFunctionError, match="exceed 100"):
        check(nested)


def test_definition_shape_is_checked():
    with pytest.raises(PolicyLanguageError, match="only 'All'"):
        evaluate(rule({"field": "name", "equals": "x"}, EFFECT, mode="Indexed"), RESOURCE)
    bad_then = {
        "mode": "All",
        "policyRule": {"if": {"field": "name", "equals": "x"}, "then": {"effect": "deny", "details": {}}},
    }
    with pytest.raises(PolicyLanguageError, match="just an 'effect'"):
        evaluate(bad_then, RESOURCE)
    modify = {"mode": "All", "policyRule": {"if": {"field": "name", "equals": "x"}, "then": {"effect": "modify"}}}
    with pytest.raises(PolicyLanguageError, match="not modelled"):
        evaluate(modify, RESOURCE)
