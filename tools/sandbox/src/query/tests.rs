//! Unit tests, one rule per test; each cites the reference section it checks
//! (/work/shared/reference/servicenow.md).

use std::cmp::Ordering;

use super::test_support::{context, names_matching_with, TestCatalog, TestRow};
use super::*;

/// Four contacts covering every column kind, empties and mixed case.
fn contacts() -> Vec<TestRow> {
    vec![
        TestRow::new(&[
            ("name", "alice"),
            ("phone", "+15551230001"),
            ("alt_phone", "+15551230001"),
            ("email", "alice@example.com"),
            ("short_description", "Printer^jam"),
            ("category", "Hardware"),
            ("active", "true"),
            ("priority", "1"),
            ("score", "2.5"),
            ("opened_at", "2024-01-10 09:00:00"),
            ("caller_id", "6816f79cc0a8016401c5a33be04be441"),
            ("company", "c1"),
            ("company.name", "acme"),
            ("company.stock_symbol", "ACM"),
            ("sys_class_name", "customer_contact"),
        ]),
        TestRow::new(&[
            ("name", "bob"),
            ("phone", "+15551230002"),
            ("alt_phone", "+15559999999"),
            ("email", "bob@example.com"),
            ("short_description", "VPN down"),
            ("category", "network"),
            ("active", "false"),
            ("priority", "10"),
            ("score", "10.25"),
            ("opened_at", "2024-02-01 00:00:00"),
            ("caller_id", "5137153cc611227c000bbd1bd8cd2005"),
            ("company", "c2"),
            ("company.name", "Globex"),
            ("company.stock_symbol", "GBX"),
        ]),
        TestRow::new(&[
            ("name", "carol"),
            ("email", "carol@example.com"),
            ("short_description", "vpn slow"),
            ("category", "Network"),
            ("active", "true"),
            ("priority", "9"),
            ("opened_at", "2023-12-31 23:59:59"),
            ("caller_id", "6816f79cc0a8016401c5a33be04be441"),
            ("company", "c1"),
            ("company.name", "acme"),
            ("company.stock_symbol", "ACM"),
        ]),
        TestRow::new(&[
            ("name", "dave"),
            ("phone", "x"),
            ("alt_phone", "X"),
            ("active", "true"),
            ("score", "-1"),
        ]),
    ]
}

fn matching(query: &str) -> Vec<String> {
    matching_with(query, MatchOptions::default())
}

fn matching_with(query: &str, opts: MatchOptions) -> Vec<String> {
    names_matching_with(query, opts, &TestCatalog::contacts(), &contacts())
}

fn bind(query: &str) -> BoundQuery {
    bind_with(query, MatchOptions::default())
}

fn bind_with(query: &str, opts: MatchOptions) -> BoundQuery {
    parse(query).bind(&TestCatalog::contacts(), &context(), &opts)
}

const NO_ROWS_SWITCH: MatchOptions = MatchOptions {
    invalid_query_returns_no_rows: true,
    case_sensitive_equality: false,
};

const CASE_SENSITIVE: MatchOptions = MatchOptions {
    invalid_query_returns_no_rows: false,
    case_sensitive_equality: true,
};

const ALL: [&str; 4] = ["alice", "bob", "carol", "dave"];

fn condition(field: &str, operator: Operator, value: &str) -> Term {
    Term::condition(field, operator, value)
}

fn clause(terms: Vec<Term>) -> Clause {
    Clause { terms }
}

fn group(clauses: Vec<Clause>) -> QueryGroup {
    QueryGroup { clauses }
}

// ---------------------------------------------------------------------------------------------
// Separators and AST shape
// ---------------------------------------------------------------------------------------------

#[test]
fn caret_joins_terms_with_and() {
    // servicenow.md §1.4 Separators: `^` is AND.
    let query = parse("active=true^priority=1");
    assert_eq!(
        query.groups,
        vec![group(vec![
            clause(vec![condition("active", Operator::Equals, "true")]),
            clause(vec![condition("priority", Operator::Equals, "1")]),
        ])]
    );
    assert_eq!(matching("active=true^priority=1"), ["alice"]);
}

#[test]
fn caret_or_binds_only_the_adjacent_term() {
    // servicenow.md §1.4 Separators: `^OR` binds only to the single adjacent term,
    // so a=1^b=2^ORc=3 is a=1 AND (b=2 OR c=3).
    let query = parse("active=true^priority=1^ORpriority=10");
    assert_eq!(
        query.groups,
        vec![group(vec![
            clause(vec![condition("active", Operator::Equals, "true")]),
            clause(vec![
                condition("priority", Operator::Equals, "1"),
                condition("priority", Operator::Equals, "10"),
            ]),
        ])]
    );
    assert_eq!(matching("active=true^priority=1^ORpriority=10"), ["alice"]);
    // (a OR b) AND c: the OR does not reach past the next plain `^`.
    assert_eq!(matching("priority=1^ORpriority=10^active=false"), ["bob"]);
}

#[test]
fn caret_or_chains_alternatives_into_one_clause() {
    // servicenow.md §1.4 Separators: consecutive `^OR` terms are alternatives of one clause.
    assert_eq!(
        matching("priority=1^ORpriority=9^ORpriority=10"),
        ["alice", "bob", "carol"]
    );
}

#[test]
fn caret_nq_starts_a_new_top_level_group() {
    // servicenow.md §1.4 Separators: `^NQ` is a top-level OR of AND-groups.
    let query = parse("active=false^NQpriority=9^category=Network");
    assert_eq!(
        query.groups,
        vec![
            group(vec![clause(vec![condition(
                "active",
                Operator::Equals,
                "false"
            )])]),
            group(vec![
                clause(vec![condition("priority", Operator::Equals, "9")]),
                clause(vec![condition("category", Operator::Equals, "Network")]),
            ]),
        ]
    );
    assert_eq!(
        matching("active=false^NQpriority=9^category=Network"),
        ["bob", "carol"]
    );
}

#[test]
fn caret_eq_terminator_is_ignored() {
    // servicenow.md §1.4 Separators: `^EQ` (UI-generated terminator) is accepted and ignored,
    // e.g. `short_descriptionLIKEEICAR^ORdescriptionLIKEEICAR^EQ`.
    let with = parse("short_descriptionLIKEvpn^ORemailLIKEvpn^EQ");
    let without = parse("short_descriptionLIKEvpn^ORemailLIKEvpn");
    assert_eq!(with, without);
    assert_eq!(matching("short_descriptionLIKEvpn^EQ"), ["bob", "carol"]);
    assert_eq!(
        matching("active=true^EQ^ORDERBYpriority"),
        ["alice", "carol", "dave"]
    );
}

#[test]
fn empty_terms_are_ignored() {
    // servicenow.md §1.4 Grammar: separators with nothing between them contribute no term.
    assert_eq!(parse("^active=false^^"), parse("active=false^^"));
    assert_eq!(parse("^active=false^"), parse("active=false"));
    assert_eq!(parse("active=false^OR^"), parse("active=false"));
    assert!(parse("").is_empty());
    assert!(parse("^").is_empty());
    assert!(parse("^EQ").is_empty());
    assert_eq!(matching("^active=false^"), ["bob"]);
}

#[test]
fn empty_query_matches_every_row() {
    // servicenow.md §1.2: without a filter a list GET returns every row.
    assert_eq!(matching(""), ALL);
    assert!(!bind("").matches_nothing());
}

#[test]
fn orderby_terms_are_parsed_anywhere_and_do_not_filter() {
    // servicenow.md §1.4 Separators: `ORDERBY<field>` / `ORDERBYDESC<field>` as separate terms,
    // e.g. `active=true^ORDERBYnumber^ORDERBYDESCcategory`.
    let query = parse("ORDERBYpriority^active=true^ORDERBYDESCcategory");
    assert_eq!(
        query.order_by,
        vec![
            OrderBy {
                field: "priority".into(),
                descending: false
            },
            OrderBy {
                field: "category".into(),
                descending: true
            },
        ]
    );
    assert_eq!(
        query.groups,
        vec![group(vec![clause(vec![condition(
            "active",
            Operator::Equals,
            "true"
        )])])]
    );
    assert_eq!(matching("ORDERBYpriority"), ALL);
    assert!(!parse("ORDERBYpriority").is_empty());
}

#[test]
fn orderby_after_caret_is_not_caret_or() {
    // servicenow.md §1.4 Separators: `^ORDERBY...` starts with "OR" but is an ordering term.
    let query = parse("active=true^ORDERBYname");
    assert_eq!(query.groups[0].clauses.len(), 1);
    assert_eq!(query.order_by.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Escaping and injection
// ---------------------------------------------------------------------------------------------

#[test]
fn double_caret_is_a_literal_caret_in_a_value() {
    // servicenow.md §1.4 Escaping: the escape for a literal `^` is `^^`.
    assert_eq!(
        parse("short_description=Printer^^jam").groups,
        vec![group(vec![clause(vec![condition(
            "short_description",
            Operator::Equals,
            "Printer^jam"
        )])])]
    );
    assert_eq!(matching("short_description=Printer^^jam"), ["alice"]);
    assert_eq!(matching("short_descriptionLIKE^^"), ["alice"]);
}

#[test]
fn triple_caret_or_is_a_literal_caret_then_caret_or() {
    // servicenow.md §1.4 Escaping: `^^` is consumed first, so `^^^OR` is "^" then `^OR`.
    let query = parse("short_descriptionENDSWITHjam^^^ORpriority=10");
    assert_eq!(
        query.groups,
        vec![group(vec![clause(vec![
            condition("short_description", Operator::EndsWith, "jam^"),
            condition("priority", Operator::Equals, "10"),
        ])])]
    );
    assert_eq!(
        matching("short_description=Printer^^jam^^^ORpriority=10"),
        ["bob"]
    );
    assert_eq!(
        matching("short_descriptionSTARTSWITHPrinter^^^ORpriority=10"),
        ["alice", "bob"]
    );
}

#[test]
fn quadruple_caret_is_two_literal_carets() {
    // servicenow.md §1.4 Escaping: every `^^` pair is one literal caret.
    assert_eq!(
        parse("name=a^^^^b").groups[0].clauses[0].terms,
        vec![condition("name", Operator::Equals, "a^^b")]
    );
    // Five carets: two literal carets, then an AND separator.
    let query = parse("name=a^^^^^priority=1");
    assert_eq!(
        query.groups[0].clauses[0].terms,
        vec![condition("name", Operator::Equals, "a^^")]
    );
    assert_eq!(query.groups[0].clauses.len(), 2);
}

#[test]
fn trailing_double_caret_is_a_literal_caret() {
    // servicenow.md §1.4 Escaping: `^^` at the end of the string is still a literal caret.
    assert_eq!(
        parse("name=a^^").groups[0].clauses[0].terms,
        vec![condition("name", Operator::Equals, "a^")]
    );
}

#[test]
fn injected_nq_matches_every_active_row() {
    // servicenow.md §1.4 Escaping/injection: `phone=<ani>` with ani = "x^NQactive=true" gives
    // `phone=x^NQactive=true`, which matches every active contact. This is why connectors must
    // escape `^`.
    assert_eq!(
        matching("phone=x^NQactive=true"),
        ["alice", "carol", "dave"]
    );
}

#[test]
fn escaped_injection_matches_nothing() {
    // servicenow.md §1.4 Escaping: the escaped form keeps the whole ANI as one literal value.
    let query = parse("phone=x^^NQactive=true");
    assert_eq!(
        query.groups,
        vec![group(vec![clause(vec![condition(
            "phone",
            Operator::Equals,
            "x^NQactive=true"
        )])])]
    );
    assert!(matching("phone=x^^NQactive=true").is_empty());
}

#[test]
fn keywords_only_mean_something_after_a_caret() {
    // servicenow.md §1.4 Escaping: `OR`, `NQ`, `EQ`, `ORDERBY` are keywords only after `^`.
    assert_eq!(
        parse("phone=xORy NQ EQ ORDERBYz").groups[0].clauses[0].terms,
        vec![condition("phone", Operator::Equals, "xORy NQ EQ ORDERBYz")]
    );
}

// ---------------------------------------------------------------------------------------------
// Field names and operator recognition
// ---------------------------------------------------------------------------------------------

#[test]
fn longest_operator_is_matched_first() {
    // servicenow.md §1.4 Operators: `NOT IN` vs `NOTLIKE`, `ISNOTEMPTY` vs `ISEMPTY`,
    // `<=` vs `<`, `INSTANCEOF` vs `IN`.
    let cases = [
        ("priorityNOT IN1,2", Operator::NotIn, "1,2"),
        ("nameNOTLIKEa", Operator::NotLike, "a"),
        ("nameNOT LIKEa", Operator::NotLike, "a"),
        ("nameISNOTEMPTY", Operator::IsNotEmpty, ""),
        ("nameISEMPTY", Operator::IsEmpty, ""),
        ("priority<=5", Operator::LessOrEqual, "5"),
        ("priority<5", Operator::LessThan, "5"),
        ("priority>=5", Operator::GreaterOrEqual, "5"),
        ("priority>5", Operator::GreaterThan, "5"),
        ("priority!=5", Operator::NotEquals, "5"),
        ("name!*a", Operator::NotLike, "a"),
        ("name*a", Operator::Like, "a"),
        ("name%a", Operator::EndsWith, "a"),
        (
            "companyINSTANCEOFcore_company",
            Operator::InstanceOf,
            "core_company",
        ),
        ("companyIN_HIERARCHYc1", Operator::InHierarchy, "c1"),
        ("companyINc1,c2", Operator::In, "c1,c2"),
        ("nameSTARTSWITHa", Operator::StartsWith, "a"),
        ("nameENDSWITHa", Operator::EndsWith, "a"),
        ("nameLIKEa", Operator::Like, "a"),
        ("nameEMPTYSTRING", Operator::EmptyString, ""),
        ("nameANYTHING", Operator::Anything, ""),
        ("phoneSAMEASalt_phone", Operator::SameAs, "alt_phone"),
        ("phoneNSAMEASalt_phone", Operator::NotSameAs, "alt_phone"),
        ("caller_idDYNAMICabc", Operator::Dynamic, "abc"),
        ("priorityBETWEEN1@5", Operator::Between, "1@5"),
        ("priorityVALCHANGES", Operator::ValChanges, ""),
        ("priorityCHANGESFROM1", Operator::ChangesFrom, "1"),
        ("priorityCHANGESTO2", Operator::ChangesTo, "2"),
    ];
    for (text, operator, value) in cases {
        let field = text
            .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .next()
            .unwrap();
        assert_eq!(
            parse(text).groups[0].clauses[0].terms,
            vec![condition(field, operator, value)],
            "{text}"
        );
    }
}

#[test]
fn operator_table_lists_longer_tokens_before_their_prefixes() {
    // servicenow.md §1.4 Operators: the first matching spelling wins, so no spelling may be
    // shadowed by an earlier one that prefixes it.
    let spellings = ast::OPERATOR_SPELLINGS;
    for (i, (earlier, _)) in spellings.iter().enumerate() {
        for (later, _) in &spellings[i + 1..] {
            assert!(
                !later.starts_with(earlier),
                "{later} is shadowed by {earlier}"
            );
        }
    }
}

#[test]
fn operator_token_is_its_canonical_spelling() {
    // servicenow.md §1.4 Operators: canonical names as the table shows them.
    assert_eq!(Operator::NotLike.token(), "NOTLIKE");
    assert_eq!(Operator::EndsWith.token(), "ENDSWITH");
    assert_eq!(Operator::Like.token(), "LIKE");
    assert_eq!(Operator::NotIn.token(), "NOT IN");
}

#[test]
fn field_name_is_the_longest_lowercase_prefix() {
    // servicenow.md §1.4 Grammar: `<field><OP><value>`; column names are [a-z0-9_] joined by `.`.
    assert_eq!(
        parse("company.stock_symbol=NYX").groups[0].clauses[0].terms,
        vec![condition("company.stock_symbol", Operator::Equals, "NYX")]
    );
    assert_eq!(
        parse("u_phone2=5").groups[0].clauses[0].terms,
        vec![condition("u_phone2", Operator::Equals, "5")]
    );
}

#[test]
fn text_without_an_operator_is_an_invalid_term() {
    // servicenow.md §1.2: terms the instance cannot read are ignored; the parser keeps them.
    for raw in [
        "phone",
        "Phone=1",
        "=1",
        "phoneXYZ1",
        "123TEXTQUERY321LIKEx",
        "NQa=1",
    ] {
        assert_eq!(
            parse(raw).groups[0].clauses[0].terms,
            vec![Term::Invalid { raw: raw.into() }],
            "{raw}"
        );
    }
}

#[test]
fn goto_prefix_is_stripped() {
    // servicenow.md §1.4 Operators (text search): `GOTO123TEXTQUERY321=<ani>` from a CTI sample.
    assert_eq!(parse("GOTOphone=x"), parse("phone=x"));
    assert_eq!(
        parse("GOTO123TEXTQUERY321=555").groups[0].clauses[0].terms,
        vec![Term::TextSearch { text: "555".into() }]
    );
}

// ---------------------------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------------------------

#[test]
fn equals_matches_the_stored_value() {
    // servicenow.md §1.4 Operators: `=`.
    assert_eq!(matching("phone=+15551230002"), ["bob"]);
    assert_eq!(matching("priority=9"), ["carol"]);
    assert!(matching("phone=+1555").is_empty());
}

#[test]
fn equals_with_empty_value_matches_empty_fields() {
    // servicenow.md §1.3: empty values are "" in this emulator's model of a record.
    assert_eq!(matching("phone="), ["carol"]);
}

#[test]
fn decoded_plus_is_a_space_and_no_longer_matches() {
    // servicenow.md §1.4 Recommendation: an unencoded `+` arrives as a space; the engine must
    // not paper over that, so the connector bug shows up.
    assert!(matching("phone= 15551230002").is_empty());
}

#[test]
fn not_equals_excludes_the_value() {
    // servicenow.md §1.4 Operators: `!=`; empty stored values count as different.
    assert_eq!(matching("priority!=10"), ["alice", "carol", "dave"]);
}

#[test]
fn less_and_greater_compare_integers_numerically() {
    // servicenow.md §1.4 Operators: comparisons; numeric for Integer fields ("9" < "10").
    assert_eq!(matching("priority<10"), ["alice", "carol"]);
    assert_eq!(matching("priority<=10"), ["alice", "bob", "carol"]);
    assert_eq!(matching("priority>9"), ["bob"]);
    assert_eq!(matching("priority>=9"), ["bob", "carol"]);
}

#[test]
fn comparisons_compare_decimals_numerically() {
    // servicenow.md §1.4 Operators: comparisons on Decimal fields.
    assert_eq!(matching("score>2.25"), ["alice", "bob"]);
    assert_eq!(matching("score<0"), ["dave"]);
    assert_eq!(matching("score>=10.25"), ["bob"]);
}

#[test]
fn numeric_comparison_with_unparseable_value_matches_nothing() {
    // servicenow.md §1.4 Operators: a non-number bound on a numeric field holds for no row.
    assert!(matching("priority<ten").is_empty());
    assert!(matching("priority>").is_empty());
    assert!(matching("priorityBETWEEN1@x").is_empty());
}

#[test]
fn empty_stored_values_satisfy_no_comparison() {
    // servicenow.md §1.3: "" stands for an empty (NULL) value, which no ordering comparison holds for.
    assert!(!matching("priority<100").contains(&"dave".to_string()));
    assert!(!matching("opened_at<2030-01-01 00:00:00").contains(&"dave".to_string()));
}

#[test]
fn comparisons_compare_strings_lexicographically() {
    // servicenow.md §1.4 Operators: comparisons; lexicographic for text fields.
    assert_eq!(matching("phone>+15551230001"), ["bob", "dave"]);
    assert_eq!(matching("email<bob@example.com"), ["alice"]);
}

#[test]
fn comparisons_compare_datetimes_as_sortable_text() {
    // servicenow.md §1.3: dates are "YYYY-MM-DD HH:MM:SS", which sorts correctly as text.
    assert_eq!(matching("opened_at>2024-01-01 00:00:00"), ["alice", "bob"]);
    assert_eq!(matching("opened_at<2024-01-01 00:00:00"), ["carol"]);
}

#[test]
fn between_is_inclusive_at_both_ends() {
    // servicenow.md §1.4 Operators: `BETWEEN a@b`.
    assert_eq!(matching("priorityBETWEEN1@9"), ["alice", "carol"]);
    assert_eq!(matching("scoreBETWEEN-1@2.5"), ["alice", "dave"]);
    assert_eq!(
        matching("opened_atBETWEEN2023-12-31 23:59:59@2024-01-10 09:00:00"),
        ["alice", "carol"]
    );
}

#[test]
fn between_without_at_matches_nothing() {
    // servicenow.md §1.4 Operators: `BETWEEN` needs both ends.
    assert!(matching("priorityBETWEEN1").is_empty());
}

#[test]
fn like_is_a_case_insensitive_contains() {
    // servicenow.md §1.2 ("In practice LIKE is case-insensitive") and §1.4 Operators: `LIKE`.
    assert_eq!(matching("short_descriptionLIKEvpn"), ["bob", "carol"]);
    assert_eq!(matching("short_descriptionLIKEVPN"), ["bob", "carol"]);
    assert_eq!(matching("short_descriptionLIKE"), ALL);
}

#[test]
fn star_is_an_alias_of_like() {
    // servicenow.md §1.4 Operators: `LIKE` alias `*`.
    assert_eq!(matching("short_description*Vpn"), ["bob", "carol"]);
}

#[test]
fn like_stays_case_insensitive_when_equality_is_case_sensitive() {
    // servicenow.md §1.2: LIKE is case-insensitive whatever the equality collation.
    assert_eq!(
        matching_with("short_descriptionLIKEVPN", CASE_SENSITIVE),
        ["bob", "carol"]
    );
}

#[test]
fn notlike_and_its_spellings_exclude_the_substring() {
    // servicenow.md §1.4 Operators: `NOTLIKE`, `NOT LIKE`, alias `!*`.
    let expected = ["alice", "dave"];
    assert_eq!(matching("short_descriptionNOTLIKEVpn"), expected);
    assert_eq!(matching("short_descriptionNOT LIKEvpn"), expected);
    assert_eq!(matching("short_description!*VPN"), expected);
}

#[test]
fn startswith_matches_a_prefix() {
    // servicenow.md §1.4 Operators: `STARTSWITH`.
    assert_eq!(matching("emailSTARTSWITHCAROL"), ["carol"]);
    assert_eq!(
        matching_with("emailSTARTSWITHCAROL", CASE_SENSITIVE),
        Vec::<String>::new()
    );
    assert_eq!(matching("phoneSTARTSWITH+1555123"), ["alice", "bob"]);
}

#[test]
fn endswith_and_percent_match_a_suffix() {
    // servicenow.md §1.4 Operators: `ENDSWITH` (alias `%`).
    assert_eq!(matching("phoneENDSWITH0002"), ["bob"]);
    assert_eq!(matching("short_description%SLOW"), ["carol"]);
}

#[test]
fn isempty_and_isnotempty_test_for_empty_values() {
    // servicenow.md §1.4 Operators: emptiness.
    assert_eq!(matching("phoneISEMPTY"), ["carol"]);
    assert_eq!(matching("phoneISNOTEMPTY"), ["alice", "bob", "dave"]);
}

#[test]
fn emptystring_matches_exactly_empty_values() {
    // servicenow.md §1.4 Operators: `EMPTYSTRING`.
    assert_eq!(matching("emailEMPTYSTRING"), ["dave"]);
}

#[test]
fn anything_always_holds() {
    // servicenow.md §1.4 Operators: `ANYTHING`.
    assert_eq!(matching("priorityANYTHING"), ALL);
    assert_eq!(matching("priorityANYTHING^active=false"), ["bob"]);
}

#[test]
fn in_matches_any_listed_value() {
    // servicenow.md §1.4 Operators: `IN a,b,c`.
    assert_eq!(matching("priorityIN1,10"), ["alice", "bob"]);
    assert!(matching("priorityIN").is_empty());
}

#[test]
fn in_list_items_are_trimmed() {
    // servicenow.md §1.4 Operators: `IN a,b,c` with spaces after the commas (or a decoded `+`).
    assert_eq!(matching("priorityIN1, 10 ,"), ["alice", "bob"]);
    assert_eq!(
        matching("categoryIN hardware , network"),
        ["alice", "bob", "carol"]
    );
    assert_eq!(matching("priorityNOT IN 1 , 10"), ["carol", "dave"]);
}

#[test]
fn not_in_excludes_every_listed_value() {
    // servicenow.md §1.4 Operators: `NOT IN a,b`.
    assert_eq!(matching("priorityNOT IN1,10"), ["carol", "dave"]);
    assert_eq!(matching("priorityNOT IN"), ALL);
}

#[test]
fn sameas_compares_two_fields() {
    // servicenow.md §1.4 Operators: field-vs-field `SAMEAS`, `NSAMEAS`.
    assert_eq!(matching("phoneSAMEASalt_phone"), ["alice", "carol", "dave"]);
    assert_eq!(matching("phoneNSAMEASalt_phone"), ["bob"]);
    assert_eq!(
        matching_with("phoneSAMEASalt_phone", CASE_SENSITIVE),
        ["alice", "carol"]
    );
}

#[test]
fn sameas_with_an_invalid_partner_field_is_dropped() {
    // servicenow.md §1.2: invalid field names are ignored.
    let bound = bind("phoneSAMEASno_such^active=false");
    assert_eq!(bound.dropped_fields(), ["no_such"]);
    assert_eq!(matching("phoneSAMEASno_such^active=false"), ["bob"]);
}

#[test]
fn dynamic_is_emulated_as_equality() {
    // servicenow.md §1.4 Operators: reference `DYNAMIC`.
    assert_eq!(
        matching("caller_idDYNAMIC5137153cc611227c000bbd1bd8cd2005"),
        ["bob"]
    );
}

#[test]
fn instanceof_and_in_hierarchy_are_dropped() {
    // servicenow.md §1.4 Operators: reference `INSTANCEOF`, `IN_HIERARCHY` (parsed, not emulated).
    let bound = bind("companyINSTANCEOFcore_company^companyIN_HIERARCHYc1^active=false");
    assert_eq!(bound.dropped_fields(), ["company", "company"]);
    assert_eq!(
        matching("companyINSTANCEOFcore_company^companyIN_HIERARCHYc1^active=false"),
        ["bob"]
    );
}

#[test]
fn change_operators_are_dropped_on_reads() {
    // servicenow.md §1.4 Operators: VALCHANGES/CHANGESFROM/CHANGESTO only apply to updates.
    let query = "priorityVALCHANGES^priorityCHANGESFROM1^ORpriorityCHANGESTO2";
    assert_eq!(bind(query).dropped_fields().len(), 3);
    assert_eq!(matching(query), ALL);
    assert!(matching_with(query, NO_ROWS_SWITCH).is_empty());
}

#[test]
fn boolean_fields_accept_one_and_zero() {
    // servicenow.md §1.3: booleans are stored as "true"/"false"; queries may say 1/0.
    assert_eq!(matching("active=0"), ["bob"]);
    assert_eq!(matching("active=1"), ["alice", "carol", "dave"]);
    assert_eq!(
        matching_with("active=TRUE", CASE_SENSITIVE),
        ["alice", "carol", "dave"]
    );
    assert_eq!(matching("active!=1"), ["bob"]);
    assert_eq!(matching("activeIN0"), ["bob"]);
}

#[test]
fn text_query_searches_every_text_column() {
    // servicenow.md §1.4 Operators (text search): `123TEXTQUERY321=<term>`, case-insensitive.
    assert_eq!(
        matching("123TEXTQUERY321=EXAMPLE.com"),
        ["alice", "bob", "carol"]
    );
    assert_eq!(matching("GOTO123TEXTQUERY321=0002"), ["bob"]);
    assert_eq!(
        matching("123TEXTQUERY321=jam^ORpriority=9"),
        ["alice", "carol"]
    );
}

// ---------------------------------------------------------------------------------------------
// Invalid fields and the glide.invalid_query.returns_no_rows switch
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_field_is_dropped_by_default() {
    // servicenow.md §1.2: invalid field names inside `sysparm_query` are ignored and the rest
    // of the query still runs.
    let bound = bind("u_mobile=+15551230001^active=false");
    assert_eq!(bound.dropped_fields(), ["u_mobile"]);
    assert!(!bound.matches_nothing());
    assert_eq!(matching("u_mobile=+15551230001^active=false"), ["bob"]);
}

#[test]
fn invalid_field_matches_nothing_with_returns_no_rows_switch() {
    // servicenow.md §1.2: `glide.invalid_query.returns_no_rows=true`.
    let bound = bind_with("u_mobile=+15551230001^active=false", NO_ROWS_SWITCH);
    assert!(bound.matches_nothing());
    assert_eq!(bound.dropped_fields(), ["u_mobile"]);
    assert!(matching_with("u_mobile=+15551230001^active=false", NO_ROWS_SWITCH).is_empty());
    assert_eq!(bound.index_candidates(), Some(vec![]));
}

#[test]
fn wholly_invalid_query_returns_all_rows() {
    // servicenow.md §1.2: a misspelt phone column returns every contact (screen-pop danger).
    assert_eq!(matching("u_mobile=+15551230001"), ALL);
    assert_eq!(matching("u_mobile=1^ORu_home=2^NQgarbage"), ALL);
    assert!(matching_with("u_mobile=+15551230001", NO_ROWS_SWITCH).is_empty());
}

#[test]
fn unparseable_term_is_dropped() {
    // servicenow.md §1.2: terms the instance cannot read are ignored like invalid fields.
    let bound = bind("phone^active=false");
    assert_eq!(bound.dropped_fields(), ["phone"]);
    assert_eq!(matching("phone^active=false"), ["bob"]);
    assert!(matching_with("phone^active=false", NO_ROWS_SWITCH).is_empty());
}

#[test]
fn dropped_or_alternative_removes_only_that_alternative() {
    // servicenow.md §1.2 + §1.4: dropping a term inside an `^OR` clause leaves the others.
    assert_eq!(matching("priority=1^ORu_mobile=2"), ["alice"]);
    assert_eq!(matching("active=false^u_a=1^ORu_b=2"), ["bob"]);
}

#[test]
fn dropped_nq_group_disappears() {
    // servicenow.md §1.2 + §1.4: a dropped term behaves as if absent, so `a^NQ<invalid>` is `a`.
    assert_eq!(matching("priority=1^NQu_mobile=2"), ["alice"]);
}

#[test]
fn invalid_orderby_field_is_ignored_without_emptying_the_result() {
    // servicenow.md §1.2: invalid fields are ignored; ordering never filters, so the switch
    // does not apply to it.
    let bound = bind_with("active=false^ORDERBYu_rank", NO_ROWS_SWITCH);
    assert_eq!(bound.dropped_fields(), ["u_rank"]);
    assert!(!bound.has_order());
    assert!(!bound.matches_nothing());
}

#[test]
fn dot_walked_fields_are_queried_and_validated() {
    // servicenow.md §1.4: "Dot-walking works in queries: `company.stock_symbol=NYX`".
    assert_eq!(matching("company.stock_symbol=ACM"), ["alice", "carol"]);
    assert_eq!(matching("company.nameSTARTSWITHglo"), ["bob"]);
    let bound = bind("company.u_region=emea^active=false");
    assert_eq!(bound.dropped_fields(), ["company.u_region"]);
    assert_eq!(matching("company.u_region=emea^active=false"), ["bob"]);
    assert_eq!(matching("company..name=acme"), ALL);
}

// ---------------------------------------------------------------------------------------------
// javascript: values
// ---------------------------------------------------------------------------------------------

#[test]
fn javascript_get_user_id_is_evaluated() {
    // servicenow.md §1.4: `javascript:` values are evaluated server-side, e.g.
    // `caller_id=javascript:gs.getUserID()`.
    assert_eq!(
        matching("caller_id=javascript:gs.getUserID()"),
        ["alice", "carol"]
    );
}

#[test]
fn javascript_prefix_is_recognised_in_any_case() {
    // servicenow.md §1.4: reject `javascript:` "whatever its case" because the instance runs it.
    assert_eq!(
        matching("caller_id=JavaScript:gs.getUserID();"),
        ["alice", "carol"]
    );
    assert_eq!(
        matching("caller_idINJAVASCRIPT: gs.getUserID()"),
        ["alice", "carol"]
    );
}

#[test]
fn javascript_user_name_and_now_are_evaluated() {
    // servicenow.md §1.4: `javascript:` values are evaluated server-side.
    assert_eq!(matching("name!=javascript:gs.getUserName()"), ALL);
    assert_eq!(
        matching("opened_at<javascript:gs.nowDateTime()"),
        ["alice", "carol"]
    );
    assert_eq!(
        matching("opened_atBETWEENjavascript:gs.now()@2024-12-31 00:00:00"),
        ["bob"]
    );
}

#[test]
fn unknown_javascript_matches_nothing() {
    // servicenow.md §1.4: a script that fails yields null; comparing with null holds for no row.
    let bound = bind("phone=javascript:gs.getUser().getRecord().getValue('phone')");
    assert!(bound.matches_nothing());
    assert!(matching("phone=javascript:new GlideRecord('sys_user').query()").is_empty());
    assert!(matching("phoneINjavascript:getRoledUsers('admin')").is_empty());
    assert!(matching("phoneNOT INx,javascript:getRoledUsers('admin')").is_empty());
    assert_eq!(matching("phone=javascript:x()^ORpriority=10"), ["bob"]);
}

// ---------------------------------------------------------------------------------------------
// Case sensitivity switch
// ---------------------------------------------------------------------------------------------

#[test]
fn equality_is_case_insensitive_by_default() {
    // servicenow.md §1.2: equality case-sensitivity depends on the collation; default off.
    assert_eq!(matching("category=network"), ["bob", "carol"]);
    assert_eq!(matching("categoryINHARDWARE"), ["alice"]);
    assert_eq!(matching("category!=NETWORK"), ["alice", "dave"]);
}

#[test]
fn equality_is_exact_when_case_sensitive() {
    // servicenow.md §1.2: "Make it configurable."
    assert_eq!(matching_with("category=network", CASE_SENSITIVE), ["bob"]);
    assert_eq!(
        matching_with("categoryINHARDWARE", CASE_SENSITIVE),
        Vec::<String>::new()
    );
    assert_eq!(
        matching_with("category!=network", CASE_SENSITIVE),
        ["alice", "carol", "dave"]
    );
    assert_eq!(
        matching_with("category%Work", CASE_SENSITIVE),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------------

fn sorted(query: &str) -> Vec<String> {
    let bound = bind(query);
    let mut rows = contacts();
    rows.retain(|row| bound.matches(row));
    rows.sort_by(|a, b| bound.compare(a, b));
    rows.iter()
        .map(|row| row.value("name").into_owned())
        .collect()
}

#[test]
fn orderby_integer_field_sorts_numerically() {
    // servicenow.md §1.4: `ORDERBY<field>`; numbers order numerically ("9" before "10"),
    // empty values first.
    assert_eq!(sorted("ORDERBYpriority"), ["dave", "alice", "carol", "bob"]);
    assert_eq!(sorted("ORDERBYscore"), ["carol", "dave", "alice", "bob"]);
}

#[test]
fn orderbydesc_reverses_the_order() {
    // servicenow.md §1.4: `ORDERBYDESC<field>`.
    assert_eq!(
        sorted("ORDERBYDESCpriority"),
        ["bob", "carol", "alice", "dave"]
    );
}

#[test]
fn orderby_string_field_sorts_as_text() {
    // servicenow.md §1.4: `ORDERBY<field>` on text; "+1555..." sorts before "x".
    assert_eq!(sorted("ORDERBYphone"), ["carol", "alice", "bob", "dave"]);
    assert_eq!(
        sorted("ORDERBYDESCemail^active=true"),
        ["carol", "alice", "dave"]
    );
}

#[test]
fn orderby_keys_apply_in_order() {
    // servicenow.md §1.4: `active=true^ORDERBYnumber^ORDERBYDESCcategory`: first key first.
    assert_eq!(
        sorted("ORDERBYcompany.name^ORDERBYDESCpriority"),
        ["dave", "carol", "alice", "bob"]
    );
    assert_eq!(
        sorted("ORDERBYDESCcompany.name^ORDERBYpriority"),
        ["bob", "alice", "carol", "dave"]
    );
}

#[test]
fn compare_is_equal_without_ordering() {
    // servicenow.md §1.3: results are otherwise unordered (PySNC appends `^ORDERBYsys_id`).
    let bound = bind("active=true");
    let rows = contacts();
    assert!(!bound.has_order());
    assert_eq!(bound.compare(&rows[0], &rows[1]), Ordering::Equal);
    assert!(bind("ORDERBYname").has_order());
}

// ---------------------------------------------------------------------------------------------
// Index plan
// ---------------------------------------------------------------------------------------------

fn pairs(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    Some(
        list.iter()
            .map(|(field, value)| (field.to_string(), value.to_string()))
            .collect(),
    )
}

#[test]
fn index_candidates_use_equality_and_in_terms() {
    // servicenow.md §1.4: equality lookups on `=`/`IN`, the screen-pop hot path.
    assert_eq!(
        bind("phone=+15551230001").index_candidates(),
        pairs(&[("phone", "+15551230001")])
    );
    assert_eq!(
        bind("phone=+1^ORphoneIN+2,+3").index_candidates(),
        pairs(&[("phone", "+1"), ("phone", "+2"), ("phone", "+3")])
    );
}

#[test]
fn index_candidates_pick_the_smallest_indexable_clause() {
    // servicenow.md §1.4: in an AND-group any indexable clause covers the group.
    assert_eq!(
        bind("phoneLIKE555^priorityIN1,9,10^category=network").index_candidates(),
        pairs(&[("category", "network")])
    );
}

#[test]
fn index_candidates_cover_every_nq_group() {
    // servicenow.md §1.4: `^NQ` groups are alternatives, so each needs its own lookups.
    assert_eq!(
        bind("phone=+1^NQcategory=x^active=true").index_candidates(),
        pairs(&[("phone", "+1"), ("category", "x")])
    );
    assert_eq!(bind("phone=+1^NQphoneLIKE1").index_candidates(), None);
}

#[test]
fn index_candidates_need_a_full_scan_for_other_shapes() {
    // servicenow.md §1.4: dot-walks, non-equality operators and OR with a non-equality need a scan.
    assert_eq!(bind("").index_candidates(), None);
    assert_eq!(bind("company.name=acme").index_candidates(), None);
    assert_eq!(bind("phoneLIKE555").index_candidates(), None);
    assert_eq!(bind("phone=+1^ORphoneLIKE5").index_candidates(), None);
    assert_eq!(bind("phone!=+1").index_candidates(), None);
    assert_eq!(bind("123TEXTQUERY321=5").index_candidates(), None);
    assert_eq!(bind("u_mobile=+1").index_candidates(), None);
}

#[test]
fn index_candidates_fold_case_like_equality() {
    // servicenow.md §1.2: with case-insensitive equality the index is keyed by lowercased values.
    assert_eq!(
        bind("category=Network").index_candidates(),
        pairs(&[("category", "network")])
    );
    assert_eq!(
        bind_with("category=Network", CASE_SENSITIVE).index_candidates(),
        pairs(&[("category", "Network")])
    );
    assert_eq!(
        bind("active=1").index_candidates(),
        pairs(&[("active", "true")])
    );
}

#[test]
fn index_candidates_skip_alternatives_that_never_hold() {
    // servicenow.md §1.4: an unevaluable `javascript:` alternative needs no lookup.
    assert_eq!(
        bind("phone=javascript:x()^ORphone=+1").index_candidates(),
        pairs(&[("phone", "+1")])
    );
    assert_eq!(
        bind("phone=javascript:x()").index_candidates(),
        Some(vec![])
    );
}

#[test]
fn index_candidates_resolve_javascript_values() {
    // servicenow.md §1.4: `caller_id=javascript:gs.getUserID()` looks up the evaluated id.
    assert_eq!(
        bind("caller_id=javascript:gs.getUserID()").index_candidates(),
        pairs(&[("caller_id", "6816f79cc0a8016401c5a33be04be441")])
    );
}
