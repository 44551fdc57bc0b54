//! `ee-backtest [--horizon DAYS]`: the outlook at every month from 2017 for the panel, against what happened.

use std::process::ExitCode;

use ee_domain::Rules;
use ee_domain::assessments::outlook::{DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut horizon = DEFAULT_HORIZON_DAYS;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--horizon", Some(days)) => match days.parse::<u32>() {
                Ok(d) if (1..=MAX_HORIZON_DAYS).contains(&d) => horizon = d,
                _ => {
                    eprintln!(
                        "--horizon takes a number of days from 1 to {MAX_HORIZON_DAYS}, not {days:?}"
                    );
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("usage: ee-backtest [--horizon DAYS]   (default {DEFAULT_HORIZON_DAYS})");
                return ExitCode::from(2);
            }
        }
    }
    let rules = match Rules::builtin() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("the built-in rules do not load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let draws = match ee_backtest::shipped_history(&rules) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("the shipped history does not read: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dates = ee_backtest::dates(&draws, horizon);
    let rows = ee_backtest::run(&draws, &rules, horizon, &dates);
    print!("{}", ee_backtest::report(&rows, horizon));
    ExitCode::SUCCESS
}
