//! The store layer's queries on the suite's backend.

mod queries;
