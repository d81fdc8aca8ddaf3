//! A local actor's own lifecycle as other servers hear it: profile `Update`, account `Delete`.

mod activities;
