//! The sheet as people read it: Japanese labels, the emergency table for page one, one
//! block per shown section. The HTML page and the PDF are both drawn from this, so they
//! cannot show different things; a withheld section is simply absent here.

use serde::Serialize;

use super::{Contact, Section, SharedSections, hours_ja};

/// One line of the emergency table: a situation, who to call, day and night.
#[derive(Debug, Clone, Serialize)]
pub struct EmergencyRow {
    pub situation: String,
    pub who: String,
    pub phone: String,
    pub night_phone: String,
    /// What the night number is (24時間対応, 見守り当番).
    pub night_note: String,
    pub action: String,
    pub within: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactLine {
    pub kind: String,
    pub organization: String,
    pub person: String,
    pub role: String,
    pub phone: String,
    pub hours: String,
    pub night_phone: String,
    pub night_note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonBlock {
    pub own_words: String,
    pub wishes: Vec<String>,
    pub what_helps: Vec<String>,
    pub what_to_avoid: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VisitLine {
    pub who: String,
    pub what: String,
    pub when: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepLine {
    pub who: String,
    pub phone: String,
    pub action: String,
    pub within: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioBlock {
    pub title: String,
    pub signs: Vec<String>,
    pub what_helps: Vec<String>,
    pub steps: Vec<StepLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentBlock {
    pub method: String,
    pub due_day: String,
    pub guarantee: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewBlock {
    pub reviewed_on: String,
    pub next_review_on: String,
    pub reviewed_with: String,
    pub note: String,
}

/// Everything a printed or HTML sheet shows.
#[derive(Debug, Clone, Serialize)]
pub struct Printable {
    pub title: &'static str,
    /// 山本 直樹 さん, or the display code when the person section is withheld.
    pub client: String,
    pub version: i32,
    /// 公開版 / 下書き
    pub status: &'static str,
    pub recipient: String,
    pub generated_at: String,
    pub emergency: Vec<EmergencyRow>,
    pub person: Option<PersonBlock>,
    pub network: Option<Vec<ContactLine>>,
    pub schedule: Option<Vec<VisitLine>>,
    pub scenarios: Option<Vec<ScenarioBlock>>,
    pub payment: Option<PaymentBlock>,
    pub review: Option<ReviewBlock>,
    /// The labels of the sections not shared with the reader.
    pub withheld: Vec<&'static str>,
}

/// What the reader is told of a contact it may not see: the network is withheld.
const NOT_SHARED: &str = "(連絡先は共有されていません)";

/// The facts around the sections: who the sheet is about, which version, for whom.
pub struct Heading {
    pub client_name: Option<String>,
    pub display_code: String,
    pub version: i32,
    pub published: bool,
    pub recipient: String,
    pub generated_at: String,
}

fn who(c: &Contact) -> String {
    match &c.person {
        Some(p) => format!("{}({})", c.organization, p),
        None => c.organization.clone(),
    }
}

/// The number to call at night and on holidays, and what it is.
fn night_of(c: &Contact) -> (String, String) {
    match &c.night_holiday {
        Some(n) => (n.phone.clone(), n.note.clone().unwrap_or_default()),
        None if c.hours.is_empty() => (c.phone.clone(), "24時間".to_owned()),
        None => ("—".to_owned(), String::new()),
    }
}

impl Printable {
    /// The Japanese names of the sections this reader was not given.
    pub fn withheld_labels(&self) -> Vec<&'static str> {
        [
            (Section::Person, self.person.is_none()),
            (Section::Network, self.network.is_none()),
            (Section::Schedule, self.schedule.is_none()),
            (Section::Scenarios, self.scenarios.is_none()),
            (Section::Payment, self.payment.is_none()),
            (Section::Review, self.review.is_none()),
        ]
        .into_iter()
        .filter(|(_, withheld)| *withheld)
        .map(|(s, _)| s.label_ja())
        .collect()
    }
}

pub fn printable(h: Heading, s: &SharedSections) -> Printable {
    let contact = |key: &str| {
        s.network
            .as_ref()
            .and_then(|n| n.iter().find(|c| c.key == key))
    };
    let emergency = match (&s.scenarios, &s.network) {
        (Some(scenarios), _) => scenarios
            .iter()
            .filter_map(|sc| {
                let step = sc.steps.first()?;
                let c = contact(&step.contact);
                let (night_phone, night_note) = c.map(night_of).unwrap_or_default();
                Some(EmergencyRow {
                    situation: sc.kind.label_ja().to_owned(),
                    who: c.map(who).unwrap_or_else(|| NOT_SHARED.to_owned()),
                    phone: c.map(|c| c.phone.clone()).unwrap_or_default(),
                    night_phone,
                    night_note,
                    action: step.action.clone(),
                    within: step.within.label_ja().to_owned(),
                })
            })
            .collect(),
        (None, Some(network)) => network
            .iter()
            .map(|c| {
                let (night_phone, night_note) = night_of(c);
                EmergencyRow {
                    situation: c.kind.label_ja().to_owned(),
                    who: who(c),
                    phone: c.phone.clone(),
                    night_phone,
                    night_note,
                    action: c.role.clone(),
                    within: String::new(),
                }
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    let network = s.network.as_ref().map(|n| {
        n.iter()
            .map(|c| {
                let (night_phone, night_note) = night_of(c);
                ContactLine {
                    kind: c.kind.label_ja().to_owned(),
                    organization: c.organization.clone(),
                    person: c.person.clone().unwrap_or_default(),
                    role: c.role.clone(),
                    phone: c.phone.clone(),
                    hours: hours_ja(&c.hours),
                    night_phone,
                    night_note,
                }
            })
            .collect()
    });
    let schedule = s.schedule.as_ref().map(|v| {
        v.iter()
            .map(|v| {
                let mut when = v.frequency.label_ja().to_owned();
                if !v.days.is_empty() {
                    when.push_str(&format!(" {}曜", super::days_ja(&v.days)));
                }
                if let Some(t) = &v.time {
                    when.push_str(&format!(" {t}"));
                }
                VisitLine {
                    who: contact(&v.contact)
                        .map(who)
                        .unwrap_or_else(|| NOT_SHARED.to_owned()),
                    what: v.what.clone(),
                    when,
                }
            })
            .collect()
    });
    let scenarios = s.scenarios.as_ref().map(|v| {
        v.iter()
            .map(|sc| ScenarioBlock {
                title: sc.kind.label_ja().to_owned(),
                signs: sc.signs.clone(),
                what_helps: sc.what_helps.clone(),
                steps: sc
                    .steps
                    .iter()
                    .map(|st| {
                        let c = contact(&st.contact);
                        StepLine {
                            who: c.map(who).unwrap_or_else(|| NOT_SHARED.to_owned()),
                            phone: c.map(|c| c.phone.clone()).unwrap_or_default(),
                            action: st.action.clone(),
                            within: st.within.label_ja().to_owned(),
                        }
                    })
                    .collect(),
            })
            .collect()
    });
    let person_shown = s.person.is_some();
    Printable {
        title: "生活サポートシート",
        client: match (&h.client_name, person_shown) {
            (Some(name), true) => format!("{name} さん"),
            _ => h.display_code.clone(),
        },
        version: h.version,
        status: if h.published {
            "公開版"
        } else {
            "下書き"
        },
        recipient: h.recipient,
        generated_at: h.generated_at,
        emergency,
        person: s.person.as_ref().map(|p| PersonBlock {
            own_words: p.own_words.clone(),
            wishes: p.wishes.clone(),
            what_helps: p.what_helps.clone(),
            what_to_avoid: p.what_to_avoid.clone(),
        }),
        network,
        schedule,
        scenarios,
        payment: s.payment.as_ref().map(|p| PaymentBlock {
            method: p.method.label_ja().to_owned(),
            due_day: if p.due_day >= 31 {
                "毎月末日".to_owned()
            } else {
                format!("毎月{}日", p.due_day)
            },
            guarantee: match &p.guarantor {
                Some(g) => format!("{}({g})", p.guarantee.label_ja()),
                None => p.guarantee.label_ja().to_owned(),
            },
            note: p.note.clone().unwrap_or_default(),
        }),
        review: s.review.as_ref().map(|r| ReviewBlock {
            reviewed_on: r.reviewed_on.clone(),
            next_review_on: r.next_review_on.clone(),
            reviewed_with: r.reviewed_with.join("、"),
            note: r.note.clone().unwrap_or_default(),
        }),
        withheld: s.withheld().iter().map(|x| x.label_ja()).collect(),
    }
}
