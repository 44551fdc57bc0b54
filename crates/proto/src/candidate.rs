//! Conversions for EligibilityService: candidate profiles from the wire (every bad field named, relative to the
//! profile), and CRS, eligibility and category answers to the wire.

use chrono::NaiveDate;
use ee_domain::assessments::crs::{CrsScore, CrsSection};
use ee_domain::assessments::eligibility::Eligibility;
use ee_domain::assessments::explore::{Change, Improvement};
use ee_domain::assessments::invitation::Outcome;
use ee_domain::assessments::invitation_history::{InvitationHistory, Miss};
use ee_domain::assessments::programs::ProgramEligibility;
use ee_domain::model::language::{Ability, LanguageResult, LanguageTest, Scores};
use ee_domain::model::profile::{
    CanadianCredential, CanadianEducation, EducationLevel, JobOffer, MaritalStatus, NocCode,
    OfferBasis, Profile, Relative, RelativeKind, SettlementFunds, Spouse, WorkEntry,
};
use ee_domain::rules::categories::{ExperienceRule, Requirement};
use ee_domain::rules::language;
use ee_domain::{CategoryVersion, FieldViolation, InvalidInput, Reason, Rules};

use crate::convert::{Violations, date, from_date, from_timestamp, program, round_type, timestamp};
use crate::v1;

fn education(field: &str, value: i32, v: &mut Violations) -> Option<EducationLevel> {
    use v1::EducationLevel as E;
    match E::try_from(value) {
        Ok(E::Unspecified) => None,
        Ok(E::LessThanSecondary) => Some(EducationLevel::LessThanSecondary),
        Ok(E::Secondary) => Some(EducationLevel::Secondary),
        Ok(E::OneYearPostSecondary) => Some(EducationLevel::OneYearPostSecondary),
        Ok(E::TwoYearPostSecondary) => Some(EducationLevel::TwoYearPostSecondary),
        Ok(E::Bachelors) => Some(EducationLevel::Bachelors),
        Ok(E::TwoOrMoreCredentials) => Some(EducationLevel::TwoOrMoreCredentials),
        Ok(E::Masters) => Some(EducationLevel::Masters),
        Ok(E::Doctoral) => Some(EducationLevel::Doctoral),
        Err(_) => {
            v.push(FieldViolation::new(
                field,
                format!("{value} is not an EducationLevel"),
            ));
            None
        }
    }
}

fn language_result(
    field: &str,
    r: &v1::LanguageResult,
    rules: &Rules,
    v: &mut Violations,
) -> Option<LanguageResult> {
    use v1::LanguageTest as T;
    let test = match T::try_from(r.test) {
        Ok(T::IeltsGeneral) => LanguageTest::IeltsGeneral,
        Ok(T::CelpipGeneral) => LanguageTest::CelpipGeneral,
        Ok(T::PteCore) => LanguageTest::PteCore,
        Ok(T::TefCanada) => LanguageTest::TefCanada,
        Ok(T::TcfCanada) => LanguageTest::TcfCanada,
        Ok(T::Clb) => LanguageTest::Clb,
        Ok(T::Nclc) => LanguageTest::Nclc,
        Ok(T::Unspecified) => {
            v.push(FieldViolation::new(
                format!("{field}.test"),
                "is required: the test the scores come from",
            ));
            return None;
        }
        Err(_) => {
            v.push(FieldViolation::new(
                format!("{field}.test"),
                format!("{} is not a known language test", r.test),
            ));
            return None;
        }
    };
    let Some(scores) = &r.scores else {
        v.push(FieldViolation::new(
            format!("{field}.scores"),
            "is required",
        ));
        return None;
    };
    let test_date = r
        .test_date
        .as_ref()
        .and_then(|d| v.ok(from_date(&format!("{field}.test_date"), d)));
    let scores = Scores {
        reading: scores.reading,
        writing: scores.writing,
        listening: scores.listening,
        speaking: scores.speaking,
    };
    language::convert(test, scores, test_date, &rules.language)
        .map_err(|errors| v.extend_within(field, errors))
        .ok()
}

fn noc(field: &str, code: &str, v: &mut Violations) -> Option<NocCode> {
    v.ok(NocCode::parse(code).map_err(|e| FieldViolation::new(field, e)))
}

/// The most jobs a work history may list: experience is counted over every pair of them.
pub const MAX_JOBS: usize = 100;

/// Reads a candidate profile; `today` bounds the date of birth, and `rules` convert language test scores.
pub fn profile(
    p: &v1::CandidateProfile,
    today: NaiveDate,
    rules: &Rules,
) -> Result<Profile, InvalidInput> {
    let mut v = Violations::default();
    let date_of_birth = match &p.date_of_birth {
        None => {
            v.push(FieldViolation::new("date_of_birth", "is required"));
            None
        }
        Some(d) => v.ok(from_date("date_of_birth", d)).and_then(|dob| {
            if dob > today {
                v.push(FieldViolation::new(
                    "date_of_birth",
                    format!("{dob} is in the future"),
                ));
                None
            } else {
                Some(dob)
            }
        }),
    };
    use v1::MaritalStatus as M;
    let marital_status = match M::try_from(p.marital_status) {
        Ok(M::Unspecified | M::Single) => MaritalStatus::Single,
        Ok(M::Married) => MaritalStatus::Married,
        Ok(M::CommonLaw) => MaritalStatus::CommonLaw,
        Ok(M::Separated) => MaritalStatus::Separated,
        Ok(M::Divorced) => MaritalStatus::Divorced,
        Ok(M::Widowed) => MaritalStatus::Widowed,
        Ok(M::Annulled) => MaritalStatus::Annulled,
        Err(_) => {
            v.push(FieldViolation::new(
                "marital_status",
                format!("{} is not a MaritalStatus", p.marital_status),
            ));
            MaritalStatus::Single
        }
    };
    let spouse = p.spouse.as_ref().map(|s| Spouse {
        accompanying: s.accompanying,
        canadian_citizen_or_pr: s.canadian_citizen_or_permanent_resident,
        education: education("spouse.education", s.education, &mut v),
        language: s
            .language
            .as_ref()
            .and_then(|l| language_result("spouse.language", l, rules, &mut v)),
        canadian_work_years: s.canadian_work_years,
        studied_in_canada: s.studied_in_canada,
    });
    let education_level = education("education", p.education, &mut v);
    use v1::CanadianEducation as C;
    let canadian_education = match C::try_from(p.canadian_education) {
        Ok(C::Unspecified | C::None) => CanadianEducation::None,
        Ok(C::OneYear) => CanadianEducation::OneYear,
        Ok(C::TwoYear) => CanadianEducation::TwoYear,
        Ok(C::ThreeYearOrMore) => CanadianEducation::ThreeYearOrMore,
        Err(_) => {
            v.push(FieldViolation::new(
                "canadian_education",
                format!("{} is not a CanadianEducation", p.canadian_education),
            ));
            CanadianEducation::None
        }
    };
    let first_language = p
        .first_language
        .as_ref()
        .and_then(|l| language_result("first_language", l, rules, &mut v));
    let second_language = p
        .second_language
        .as_ref()
        .and_then(|l| language_result("second_language", l, rules, &mut v));
    let mut work_history = Vec::new();
    if p.work_history.len() > MAX_JOBS {
        v.push(FieldViolation::new(
            "work_history",
            format!(
                "has {} jobs; at most {MAX_JOBS} are accepted",
                p.work_history.len()
            ),
        ));
    }
    for (i, w) in p.work_history.iter().take(MAX_JOBS).enumerate() {
        let at = |f: &str| format!("work_history[{i}].{f}");
        let code = noc(&at("noc_code"), &w.noc_code, &mut v);
        let start = match &w.start {
            None => {
                v.push(FieldViolation::new(at("start"), "is required"));
                None
            }
            Some(d) => v.ok(from_date(&at("start"), d)),
        };
        let end = w.end.as_ref().and_then(|d| v.ok(from_date(&at("end"), d)));
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            v.push(FieldViolation::new(
                at("end"),
                format!("{e} is before the start, {s}"),
            ));
        }
        if !(w.hours_per_week.is_finite() && w.hours_per_week > 0.0 && w.hours_per_week <= 168.0) {
            v.push(FieldViolation::new(
                at("hours_per_week"),
                format!("{} is not between 0 and 168", w.hours_per_week),
            ));
        }
        if let (Some(noc), Some(start)) = (code, start) {
            work_history.push(WorkEntry {
                noc,
                start,
                end,
                hours_per_week: w.hours_per_week,
                in_canada: w.in_canada,
                self_employed: w.self_employed,
                full_time_student: w.full_time_student,
            });
        }
    }
    let job_offer = p.job_offer.as_ref().and_then(|o| job_offer(o, &mut v));
    let facts = newer_facts(p, &mut v);
    let submitted_at = p
        .profile_submitted_at
        .as_ref()
        .and_then(|t| v.ok(from_timestamp("profile_submitted_at", t)));
    v.finish()?;
    Ok(Profile {
        date_of_birth: date_of_birth.unwrap_or(today),
        marital_status,
        spouse,
        // The highest level: a profile that gives only its Canadian credential is scored with that credential.
        education: education_level.or(facts.canadian_credential.map(|c| c.level)),
        education_assessed: p.education_assessed,
        canadian_education,
        first_language,
        second_language,
        work_history,
        certificate_of_qualification: p.certificate_of_qualification,
        job_offer,
        provincial_nomination: p.provincial_nomination,
        sibling_in_canada: p.sibling_in_canada,
        submitted_at,
        proof_of_funds: p.proof_of_funds,
        authorized_to_work_in_canada: p.authorized_to_work_in_canada,
        armed_forces_offer: p.armed_forces_offer,
        relatives_in_canada: facts.relatives,
        canadian_credential: facts.canadian_credential,
        eca_issued_on: facts.eca_issued_on,
        settlement_funds: facts.settlement_funds,
        serving_in_foreign_military: p.serving_in_foreign_military,
        armed_forces_offer_noc: facts.armed_forces_offer_noc,
    })
}

/// The most relatives a profile may list.
pub const MAX_RELATIVES: usize = 50;
/// The longest job offer, in months.
pub const MAX_OFFER_MONTHS: u32 = 600;

fn job_offer(o: &v1::JobOffer, v: &mut Violations) -> Option<JobOffer> {
    use v1::JobOfferBasis as B;
    let basis = match B::try_from(o.basis) {
        Ok(B::Unspecified) => None,
        Ok(B::Lmia) => Some(OfferBasis::Lmia),
        Ok(B::LmiaExempt) => Some(OfferBasis::LmiaExempt),
        Ok(B::None) => Some(OfferBasis::Neither),
        Err(_) => {
            v.push(FieldViolation::new(
                "job_offer.basis",
                format!("{} is not a JobOfferBasis", o.basis),
            ));
            None
        }
    };
    let hours = o.hours_per_week;
    if !(hours.is_finite() && (0.0..=168.0).contains(&hours)) {
        v.push(FieldViolation::new(
            "job_offer.hours_per_week",
            format!("{hours} is not between 0 (not stated) and 168"),
        ));
    }
    if o.duration_months > MAX_OFFER_MONTHS {
        v.push(FieldViolation::new(
            "job_offer.duration_months",
            format!(
                "{} is more than {MAX_OFFER_MONTHS} months",
                o.duration_months
            ),
        ));
    }
    let code = noc("job_offer.noc_code", &o.noc_code, v)?;
    Some(JobOffer {
        noc: code,
        basis,
        hours_per_week: (hours > 0.0).then_some(hours),
        duration_months: (o.duration_months > 0).then_some(o.duration_months),
    })
}

/// The facts added in issue 12, each optional.
struct NewerFacts {
    relatives: Vec<Relative>,
    canadian_credential: Option<CanadianCredential>,
    eca_issued_on: Option<NaiveDate>,
    settlement_funds: Option<SettlementFunds>,
    armed_forces_offer_noc: Option<NocCode>,
}

fn newer_facts(p: &v1::CandidateProfile, v: &mut Violations) -> NewerFacts {
    if p.relatives_in_canada.len() > MAX_RELATIVES {
        v.push(FieldViolation::new(
            "relatives_in_canada",
            format!(
                "has {} relatives; at most {MAX_RELATIVES} are accepted",
                p.relatives_in_canada.len()
            ),
        ));
    }
    use v1::RelativeKind as K;
    let relatives = p
        .relatives_in_canada
        .iter()
        .take(MAX_RELATIVES)
        .enumerate()
        .filter_map(|(i, r)| {
            let kind = match K::try_from(r.kind) {
                Ok(K::Parent) => RelativeKind::Parent,
                Ok(K::Grandparent) => RelativeKind::Grandparent,
                Ok(K::Child) => RelativeKind::Child,
                Ok(K::Grandchild) => RelativeKind::Grandchild,
                Ok(K::Sibling) => RelativeKind::Sibling,
                Ok(K::AuntOrUncle) => RelativeKind::AuntOrUncle,
                Ok(K::NieceOrNephew) => RelativeKind::NieceOrNephew,
                Ok(K::Unspecified) | Err(_) => {
                    v.push(FieldViolation::new(
                        format!("relatives_in_canada[{i}].kind"),
                        format!(
                            "{} is not a known relative: parent, grandparent, child, grandchild, sibling, aunt or uncle, niece or nephew",
                            r.kind
                        ),
                    ));
                    return None;
                }
            };
            Some(Relative {
                kind,
                of_spouse: r.of_spouse,
            })
        })
        .collect();
    let canadian_credential = p.canadian_credential.as_ref().and_then(|c| {
        let level = education("canadian_credential.level", c.level, v);
        if level.is_none() && c.level == 0 {
            v.push(FieldViolation::new(
                "canadian_credential.level",
                "is required: the level of the Canadian credential",
            ));
        }
        if !(1..=CanadianCredential::MAX_YEARS).contains(&c.length_years) {
            v.push(FieldViolation::new(
                "canadian_credential.length_years",
                format!(
                    "{} is not a program length from 1 to {} years",
                    c.length_years,
                    CanadianCredential::MAX_YEARS
                ),
            ));
            return None;
        }
        level.map(|level| CanadianCredential {
            level,
            length_years: c.length_years,
        })
    });
    let eca_issued_on = p
        .eca_issued_on
        .as_ref()
        .and_then(|d| v.ok(from_date("eca_issued_on", d)));
    let settlement_funds = p.settlement_funds.as_ref().and_then(|f| {
        if !(1..=SettlementFunds::MAX_FAMILY_MEMBERS).contains(&f.family_members) {
            v.push(FieldViolation::new(
                "settlement_funds.family_members",
                format!(
                    "{} is not a family size from 1 to {}: the funds needed depend on it",
                    f.family_members,
                    SettlementFunds::MAX_FAMILY_MEMBERS
                ),
            ));
            return None;
        }
        Some(SettlementFunds {
            amount_cad: f.amount_cad,
            family_members: f.family_members,
        })
    });
    let armed_forces_offer_noc = (!p.armed_forces_offer_noc_code.is_empty())
        .then(|| {
            noc(
                "armed_forces_offer_noc_code",
                &p.armed_forces_offer_noc_code,
                v,
            )
        })
        .flatten();
    NewerFacts {
        relatives,
        canadian_credential,
        eca_issued_on,
        settlement_funds,
        armed_forces_offer_noc,
    }
}

fn section(s: &CrsSection) -> v1::CrsSection {
    v1::CrsSection {
        points: s.points,
        max_points: s.max_points,
        lines: s
            .lines
            .iter()
            .map(|l| v1::CrsLine {
                code: l.code.as_str().to_owned(),
                label: l.label.clone(),
                points: l.points,
            })
            .collect(),
    }
}

pub fn crs(s: &CrsScore) -> v1::CrsBreakdown {
    v1::CrsBreakdown {
        total: s.total,
        core: Some(section(&s.core)),
        spouse: Some(section(&s.spouse)),
        transferability: Some(section(&s.transferability)),
        additional: Some(section(&s.additional)),
        as_of: Some(date(s.as_of)),
        rules_effective_from: Some(date(s.rules_from)),
        notes: s.notes.clone(),
    }
}

pub fn reasons(r: &[Reason]) -> Vec<v1::Reason> {
    r.iter()
        .map(|r| v1::Reason {
            code: r.code.as_str().to_owned(),
            message: r.message.clone(),
        })
        .collect()
}

fn program_eligibility(p: &ProgramEligibility) -> v1::ProgramEligibility {
    v1::ProgramEligibility {
        program: program(p.program) as i32,
        eligible: p.eligible,
        reasons: reasons(&p.reasons),
        fsw_points: p.fsw_points.as_ref().map(|f| v1::FswPoints {
            total: f.total,
            pass_mark: f.pass_mark,
            language: f.language,
            education: f.education,
            experience: f.experience,
            age: f.age,
            arranged_employment: f.arranged_employment,
            adaptability: f.adaptability,
        }),
    }
}

pub fn eligibility(e: &Eligibility<'_>) -> v1::CheckEligibilityResponse {
    v1::CheckEligibilityResponse {
        as_of: Some(date(e.as_of)),
        programs: e.programs.iter().map(program_eligibility).collect(),
        categories: e
            .categories
            .iter()
            .map(|c| v1::CategoryEligibility {
                category_id: c.category.id.to_string(),
                category_version: c.category.version,
                name: c.category.label(),
                eligible: c.eligible,
                reasons: reasons(&c.reasons),
                qualifying_noc_code: c
                    .qualifying_noc
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

/// A category version, with the experience rule it applies on the date asked (its own, or the one in force then),
/// for occupation categories.
pub fn category(c: &CategoryVersion, rule: &ExperienceRule) -> v1::Category {
    v1::Category {
        id: c.id.to_string(),
        version: c.version,
        name: c.name.clone(),
        effective_from: Some(date(c.effective_from)),
        effective_until: c.effective_until.map(date),
        requirement: match c.requirement {
            Requirement::Occupation => v1::CategoryRequirement::Occupation,
            Requirement::FrenchLanguage => v1::CategoryRequirement::FrenchLanguage,
            Requirement::ArmedForcesOffer => v1::CategoryRequirement::ArmedForcesOffer,
        } as i32,
        occupations: c
            .occupations
            .iter()
            .map(|o| v1::Occupation {
                noc_code: o.noc.to_string(),
                title: o.title.clone(),
                teer: u32::from(o.teer),
                unverified: o.unverified,
            })
            .collect(),
        experience: (c.requirement == Requirement::Occupation).then(|| v1::ExperienceRule {
            min_months: rule.min_months,
            continuous: rule.continuous,
            window_years: rule.window_years,
            in_canada_only: c.in_canada_only,
            description: rule.note.clone(),
        }),
        french_nclc_min: c.french_nclc_min.map_or(0, u32::from),
        unverified: c.unverified,
        notes: c.notes.clone().unwrap_or_default(),
        source: c.source.clone().unwrap_or_default(),
    }
}

fn education_to_wire(e: EducationLevel) -> v1::EducationLevel {
    use v1::EducationLevel as E;
    match e {
        EducationLevel::LessThanSecondary => E::LessThanSecondary,
        EducationLevel::Secondary => E::Secondary,
        EducationLevel::OneYearPostSecondary => E::OneYearPostSecondary,
        EducationLevel::TwoYearPostSecondary => E::TwoYearPostSecondary,
        EducationLevel::Bachelors => E::Bachelors,
        EducationLevel::TwoOrMoreCredentials => E::TwoOrMoreCredentials,
        EducationLevel::Masters => E::Masters,
        EducationLevel::Doctoral => E::Doctoral,
    }
}

fn ability_to_wire(a: Ability) -> v1::LanguageAbility {
    match a {
        Ability::Reading => v1::LanguageAbility::Reading,
        Ability::Writing => v1::LanguageAbility::Writing,
        Ability::Listening => v1::LanguageAbility::Listening,
        Ability::Speaking => v1::LanguageAbility::Speaking,
    }
}

/// A result given as levels (CLB or NCLC) on the wire.
fn levels_to_wire(r: &LanguageResult) -> v1::LanguageResult {
    let l = r.levels;
    v1::LanguageResult {
        test: match r.test {
            LanguageTest::Nclc => v1::LanguageTest::Nclc,
            _ => v1::LanguageTest::Clb,
        } as i32,
        scores: Some(v1::LanguageScores {
            reading: f64::from(l.reading),
            writing: f64::from(l.writing),
            listening: f64::from(l.listening),
            speaking: f64::from(l.speaking),
        }),
        test_date: r.test_date.map(date),
    }
}

fn work_to_wire(w: &WorkEntry) -> v1::WorkExperience {
    v1::WorkExperience {
        noc_code: w.noc.to_string(),
        start: Some(date(w.start)),
        end: w.end.map(date),
        hours_per_week: w.hours_per_week,
        in_canada: w.in_canada,
        self_employed: w.self_employed,
        full_time_student: w.full_time_student,
    }
}

/// `ExploreCrs`'s answer: each change as the wire fields a client sets to apply it.
pub fn explore_response(now: &CrsScore, improvements: &[Improvement]) -> v1::ExploreCrsResponse {
    use v1::CrsImprovementKind as K;
    v1::ExploreCrsResponse {
        crs: Some(crs(now)),
        improvements: improvements
            .iter()
            .map(|i| {
                let mut w = v1::CrsImprovement {
                    description: i.description.clone(),
                    points_added: i.points_added,
                    new_total: i.new_total,
                    ..Default::default()
                };
                let kind = match &i.change {
                    Change::FirstLanguage {
                        ability,
                        to_level,
                        to_score,
                    }
                    | Change::SpouseLanguageAbility {
                        ability,
                        to_level,
                        to_score,
                    } => {
                        w.ability = ability_to_wire(*ability) as i32;
                        w.to_level = u32::from(*to_level);
                        w.to_score = *to_score;
                        if matches!(i.change, Change::FirstLanguage { .. }) {
                            K::FirstLanguage
                        } else {
                            K::SpouseLanguage
                        }
                    }
                    Change::SecondLanguage { result } => {
                        w.second_language = Some(levels_to_wire(result));
                        w.to_level = u32::from(result.levels.min());
                        K::SecondLanguage
                    }
                    Change::SpouseLanguage { result } => {
                        w.spouse_language = Some(levels_to_wire(result));
                        w.to_level = u32::from(result.levels.min());
                        K::SpouseLanguage
                    }
                    Change::CanadianWork { added } | Change::ForeignWork { added } => {
                        w.added_work = added.iter().map(work_to_wire).collect();
                        if matches!(i.change, Change::CanadianWork { .. }) {
                            K::CanadianWork
                        } else {
                            K::ForeignWork
                        }
                    }
                    Change::Education { to } | Change::SpouseEducation { to } => {
                        w.to_education = education_to_wire(*to) as i32;
                        if matches!(i.change, Change::Education { .. }) {
                            K::Education
                        } else {
                            K::SpouseEducation
                        }
                    }
                    Change::ProvincialNomination => K::ProvincialNomination,
                };
                w.kind = kind as i32;
                w
            })
            .collect(),
    }
}

/// `CheckInvitationHistory`'s answer; `outcome` gives the wire value of an outcome.
pub fn invitation_history(
    h: &InvitationHistory,
    outcome: impl Fn(Outcome) -> i32,
) -> v1::CheckInvitationHistoryResponse {
    let miss = |m: &Miss| v1::ClosestMiss {
        draw_number: m.number.to_string(),
        held_at: Some(timestamp(m.held_at)),
        points_short: m.points_short,
        seconds_after_tie_break: m.seconds_after_tie_break,
    };
    let s = &h.summary;
    v1::CheckInvitationHistoryResponse {
        rounds: h
            .rounds
            .iter()
            .map(|r| v1::RoundOutcome {
                draw_number: r.draw.number.to_string(),
                held_at: Some(timestamp(r.draw.held_at)),
                round_type: Some(round_type(
                    &r.draw.round_type.selection,
                    r.draw.round_type.name.clone(),
                    r.draw.round_type.uncatalogued,
                )),
                minimum_crs: r.draw.minimum_crs,
                tie_break_at: r.draw.tie_break_at.map(timestamp),
                outcome: outcome(r.check.outcome),
                reasons: reasons(&r.check.reasons),
                crs: r.check.crs.total,
                eligible: r.check.eligible,
            })
            .collect(),
        summary: Some(v1::InvitationHistorySummary {
            rounds: s.rounds,
            eligible: s.eligible,
            invited: s.invited,
            not_invited: s.not_invited,
            undetermined: s.undetermined,
            closest_by_points: s.closest_by_points.iter().map(miss).collect(),
            closest_by_tie_break: s.closest_by_tie_break.iter().map(miss).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use ee_domain::ReasonCode;
    use ee_domain::assessments::crs::CrsLineCode;

    const PROTO: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../proto/expressentry/v1/eligibility_service.proto"
    ));

    /// The codes listed (`//   CODE: meaning.`) in the comment on `string code = 1;` of `message`.
    fn listed_codes(message: &str) -> BTreeSet<&'static str> {
        let body = PROTO
            .split_once(&format!("message {message} {{"))
            .and_then(|(_, rest)| rest.split_once("string code = 1;"))
            .unwrap_or_else(|| panic!("message {message} with its code field"))
            .0;
        body.lines()
            .filter_map(|l| l.trim().strip_prefix("//")?.split_once(':'))
            .map(|(code, _)| code.trim())
            .filter(|code| code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
            .collect()
    }

    #[test]
    fn every_code_is_documented_in_the_proto() {
        let reasons: BTreeSet<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed_codes("Reason"), reasons, "Reason.code's comment");
        let lines: BTreeSet<&str> = CrsLineCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed_codes("CrsLine"), lines, "CrsLine.code's comment");
    }
}
