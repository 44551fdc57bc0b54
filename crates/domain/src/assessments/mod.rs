//! What the rules say of a candidate: work experience, the CRS, the programs (FSWP, FSTP, CEC), the categories,
//! the invitation rule of one round and of a history of rounds, and the changes that would add points. Each
//! assessment takes the tables it uses; none of them is used by the layers below.

pub mod crs;
pub mod eligibility;
pub mod experience;
pub mod explore;
pub mod invitation;
pub mod invitation_history;
pub mod outlook;
pub mod pool;
pub mod programs;
