//! The watch engine (being written).
