//! The rules a saved version of a sheet must meet. Every problem is reported with the
//! path of its field (`network[2].phone`, `scenarios[health_worse].steps`), all at once.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};

use super::*;
use crate::domain::validate::{Fields, text};
use crate::error::ApiError;

const MAX_CONTACTS: usize = 40;
const MAX_VISITS: usize = 30;
const MAX_STEPS: usize = 10;
const MAX_ITEMS: usize = 20;
/// A review at least once a year: the person's life and network change.
const MAX_REVIEW_GAP_DAYS: i64 = 366;

/// Checks `s` and returns it normalised (trimmed texts, phone numbers with ASCII
/// digits and hyphens, times as HH:MM, dates as YYYY-MM-DD), or every field error.
pub fn normalize(s: Sections, today: NaiveDate) -> Result<Sections, ApiError> {
    let mut f = Fields::new();
    let person = person(&mut f, s.person);
    let network = network(&mut f, s.network);
    let keys: HashSet<String> = network.iter().map(|c| c.key.clone()).collect();
    let schedule = schedule(&mut f, s.schedule, &keys);
    let scenarios = scenarios(&mut f, s.scenarios, &network);
    let payment = payment(&mut f, s.payment);
    let review = review(&mut f, s.review, today);
    f.finish()?;
    Ok(Sections {
        person,
        network,
        schedule,
        scenarios,
        payment,
        review,
    })
}

fn required(f: &mut Fields, field: &str, value: String, max: usize) -> String {
    f.check(field, text(&value, max)).unwrap_or(value)
}

fn optional(f: &mut Fields, field: &str, value: Option<String>, max: usize) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    Some(f.check(field, text(&value, max)).unwrap_or(value))
}

fn list(f: &mut Fields, field: &str, items: Vec<String>, max_chars: usize) -> Vec<String> {
    if items.len() > MAX_ITEMS {
        f.push(field, format!("at most {MAX_ITEMS} items"));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| required(f, &format!("{field}[{i}]"), item, max_chars))
        .collect()
}

fn person(f: &mut Fields, p: Person) -> Person {
    Person {
        own_words: required(f, "person.own_words", p.own_words, 2000),
        wishes: list(f, "person.wishes", p.wishes, 200),
        what_helps: list(f, "person.what_helps", p.what_helps, 200),
        what_to_avoid: list(f, "person.what_to_avoid", p.what_to_avoid, 200),
    }
}

/// A Japanese phone number: full-width digits and dashes become ASCII, spaces go; a
/// number of 10 or 11 digits starting with 0, or a short service number (110, 119,
/// #7119).
pub fn phone(input: &str) -> Result<String, String> {
    let mut out = String::new();
    for c in input.trim().chars() {
        match c {
            '０'..='９' => out.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '0'..='9' | '#' => out.push(c),
            '-' | 'ー' | '－' | '‐' | '—' | '―' | '−' => out.push('-'),
            '＃' => out.push('#'),
            ' ' | '\u{3000}' | '(' | ')' | '（' | '）' => {}
            _ => return Err("must hold only digits and hyphens, such as 011-123-4567".into()),
        }
    }
    let digits: String = out.chars().filter(|c| *c != '-').collect();
    let long = digits.starts_with('0')
        && (10..=11).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit());
    let short = matches!(digits.as_str(), "110" | "118" | "119" | "171")
        || (digits.len() == 5
            && digits.starts_with('#')
            && digits[1..].chars().all(|c| c.is_ascii_digit()));
    if !(long || short) || out.starts_with('-') || out.ends_with('-') || out.contains("--") {
        return Err(
            "must be a Japanese phone number such as 011-123-4567, 090-1234-5678 or #7119".into(),
        );
    }
    Ok(out)
}

/// HH:MM from 00:00 to 24:00 (H:MM accepted), as minutes and in HH:MM.
pub fn clock(input: &str) -> Result<(u32, String), String> {
    let bad = || "must be a time HH:MM, such as 09:00 or 17:30".to_owned();
    let (h, m) = input.trim().split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok((h * 60 + m, format!("{h:02}:{m:02}")))
}

fn days(f: &mut Fields, field: &str, days: &[Day]) {
    let unique: HashSet<&Day> = days.iter().collect();
    if unique.len() != days.len() {
        f.push(field, "names a day twice");
    }
}

fn network(f: &mut Fields, contacts: Vec<Contact>) -> Vec<Contact> {
    if contacts.is_empty() {
        f.push("network", "name at least the support office");
    } else if contacts.len() > MAX_CONTACTS {
        f.push("network", format!("at most {MAX_CONTACTS} contacts"));
    }
    if !contacts.is_empty()
        && !contacts
            .iter()
            .any(|c| c.kind == ContactKind::SupportOffice)
    {
        f.push(
            "network",
            "name the support office (kind support_office): it writes and keeps the sheet",
        );
    }
    let mut seen = HashSet::new();
    contacts
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let at = |field: &str| format!("network[{i}].{field}");
            let key = c.key.trim().to_owned();
            let key_ok = !key.is_empty()
                && key.len() <= 32
                && key.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'
                });
            if !key_ok {
                f.push(
                    &at("key"),
                    "must be 1-32 lowercase letters, digits, - or _ (such as clinic)",
                );
            } else if !seen.insert(key.clone()) {
                f.push(&at("key"), format!("{key} is used by another contact"));
            }
            let phone_ok = f.check(&at("phone"), phone(&c.phone));
            let hours = c
                .hours
                .into_iter()
                .enumerate()
                .map(|(j, h)| {
                    let at = |field: &str| format!("network[{i}].hours[{j}].{field}");
                    if h.days.is_empty() {
                        f.push(&at("days"), "name at least one day");
                    }
                    days(f, &at("days"), &h.days);
                    let from = f.check(&at("from"), clock(&h.from));
                    let to = f.check(&at("to"), clock(&h.to));
                    if let (Some((a, _)), Some((b, _))) = (&from, &to)
                        && a >= b
                    {
                        f.push(&at("to"), "must be after from");
                    }
                    Hours {
                        days: h.days,
                        from: from.map(|(_, s)| s).unwrap_or(h.from),
                        to: to.map(|(_, s)| s).unwrap_or(h.to),
                    }
                })
                .collect::<Vec<_>>();
            if hours.len() > 7 {
                f.push(&at("hours"), "at most 7 spans");
            }
            let night_holiday = c.night_holiday.map(|n| AfterHours {
                phone: f
                    .check(&at("night_holiday.phone"), phone(&n.phone))
                    .unwrap_or(n.phone),
                note: optional(f, &at("night_holiday.note"), n.note, 200),
            });
            Contact {
                key,
                kind: c.kind,
                organization: required(f, &at("organization"), c.organization, 100),
                person: optional(f, &at("person"), c.person, 60),
                role: required(f, &at("role"), c.role, 200),
                phone: phone_ok.unwrap_or(c.phone),
                hours,
                night_holiday,
                organization_id: c.organization_id,
            }
        })
        .collect()
}

/// Whether the contact answers at night and on holidays: a night number, or no
/// opening hours at all (always answered).
fn reachable_at_night(c: &Contact) -> bool {
    c.night_holiday.is_some() || c.hours.is_empty()
}

fn schedule(f: &mut Fields, visits: Vec<Visit>, keys: &HashSet<String>) -> Vec<Visit> {
    if visits.len() > MAX_VISITS {
        f.push("schedule", format!("at most {MAX_VISITS} visits"));
    }
    visits
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let at = |field: &str| format!("schedule[{i}].{field}");
            let contact = v.contact.trim().to_owned();
            if !keys.contains(&contact) {
                f.push(
                    &at("contact"),
                    format!("no contact of the network has the key {contact:?}"),
                );
            }
            days(f, &at("days"), &v.days);
            if matches!(v.frequency, Frequency::Weekly | Frequency::Biweekly) && v.days.is_empty() {
                f.push(&at("days"), "name the day of a weekly or biweekly visit");
            }
            let time = v
                .time
                .filter(|t| !t.trim().is_empty())
                .map(|t| f.check(&at("time"), clock(&t).map(|(_, s)| s)).unwrap_or(t));
            Visit {
                contact,
                what: required(f, &at("what"), v.what, 200),
                frequency: v.frequency,
                days: v.days,
                time,
            }
        })
        .collect()
}

fn scenarios(f: &mut Fields, scenarios: Vec<Scenario>, network: &[Contact]) -> Vec<Scenario> {
    for kind in ScenarioKind::ALL {
        match scenarios.iter().filter(|s| s.kind == *kind).count() {
            0 => f.push(
                "scenarios",
                format!("say what to do for {} ({})", kind.as_str(), kind.label_ja()),
            ),
            1 => {}
            _ => f.push(
                &format!("scenarios[{}]", kind.as_str()),
                "is given more than once",
            ),
        }
    }
    let find = |key: &str| network.iter().find(|c| c.key == key);
    scenarios
        .into_iter()
        .map(|s| {
            let name = s.kind.as_str();
            let at = |field: &str| format!("scenarios[{name}].{field}");
            if s.kind == ScenarioKind::HealthWorse {
                if s.signs.is_empty() {
                    f.push(&at("signs"), "the crisis plan names the early signs");
                }
                if s.what_helps.is_empty() {
                    f.push(&at("what_helps"), "the crisis plan says what helps");
                }
            }
            if s.steps.is_empty() {
                f.push(&at("steps"), "say who acts");
            } else if s.steps.len() > MAX_STEPS {
                f.push(&at("steps"), format!("at most {MAX_STEPS} steps"));
            }
            let steps: Vec<Step> = s
                .steps
                .into_iter()
                .enumerate()
                .map(|(j, st)| {
                    let contact = st.contact.trim().to_owned();
                    if find(&contact).is_none() {
                        f.push(
                            &at(&format!("steps[{j}].contact")),
                            format!("no contact of the network has the key {contact:?}"),
                        );
                    }
                    Step {
                        action: required(f, &at(&format!("steps[{j}].action")), st.action, 300),
                        contact,
                        within: st.within,
                    }
                })
                .collect();
            let acting: Vec<&Contact> = steps.iter().filter_map(|st| find(&st.contact)).collect();
            let needed = s.kind.required_contacts();
            if !steps.is_empty() && !needed.is_empty() && !acting.iter().any(|c| needed.contains(&c.kind)) {
                let names: Vec<&str> = needed.iter().map(|k| k.as_str()).collect();
                f.push(
                    &at("steps"),
                    format!("one step must be taken by a contact of kind {}", names.join(" or ")),
                );
            }
            if s.kind.needs_night_contact()
                && !acting.is_empty()
                && !acting.iter().any(|c| reachable_at_night(c))
            {
                f.push(
                    &at("steps"),
                    "one contact of this scenario must be reachable at night and on holidays (night_holiday)",
                );
            }
            Scenario {
                kind: s.kind,
                signs: list(f, &at("signs"), s.signs, 200),
                what_helps: list(f, &at("what_helps"), s.what_helps, 200),
                steps,
            }
        })
        .collect()
}

fn payment(f: &mut Fields, p: Payment) -> Payment {
    if !(1..=31).contains(&p.due_day) {
        f.push("payment.due_day", "must be a day of the month, 1 to 31");
    }
    let guarantor = optional(f, "payment.guarantor", p.guarantor, 100);
    match (p.guarantee, &guarantor) {
        (GuaranteeKind::None, Some(_)) => f.push(
            "payment.guarantor",
            "name no guarantor when guarantee is none",
        ),
        (GuaranteeKind::None, None) | (_, Some(_)) => {}
        (_, None) => f.push(
            "payment.guarantor",
            "name the guarantee company, the guarantor or the 居住支援法人",
        ),
    }
    Payment {
        method: p.method,
        due_day: p.due_day,
        guarantee: p.guarantee,
        guarantor,
        note: optional(f, "payment.note", p.note, 500),
    }
}

fn date(input: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d")
        .map_err(|_| "must be a date YYYY-MM-DD".to_owned())
}

fn review(f: &mut Fields, r: Review, today: NaiveDate) -> Review {
    let reviewed = f.check(
        "review.reviewed_on",
        date(&r.reviewed_on).and_then(|d| {
            if d > today {
                Err("must not be in the future".into())
            } else {
                Ok(d)
            }
        }),
    );
    let next = f.check("review.next_review_on", date(&r.next_review_on));
    if let (Some(a), Some(b)) = (reviewed, next) {
        if b <= a {
            f.push("review.next_review_on", "must be after reviewed_on");
        } else if b - a > Duration::days(MAX_REVIEW_GAP_DAYS) {
            f.push(
                "review.next_review_on",
                "must be within a year of reviewed_on: review the sheet with the person at least yearly",
            );
        }
    }
    Review {
        reviewed_on: reviewed.map(|d| d.to_string()).unwrap_or(r.reviewed_on),
        next_review_on: next.map(|d| d.to_string()).unwrap_or(r.next_review_on),
        reviewed_with: list(f, "review.reviewed_with", r.reviewed_with, 60),
        note: optional(f, "review.note", r.note, 500),
    }
}
