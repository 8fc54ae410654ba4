//! Drivers for the set-top box's own hardware, generic over embedded-hal 1.0
//! so that they run on the Raspberry Pi (through `rppal`) and on any other
//! board, and are tested against recorded bus transactions.
//!
//! The box has a front status LED, a chime, a big call button and a room
//! temperature/humidity sensor. Each driver is ticked by its owner and never
//! blocks. This crate is `no_std` and has no `unsafe`.
//!
//! The drivers arrive with the box-hardware work; the crate is here so the
//! workspace has its final shape.

#![no_std]
#![deny(unsafe_code, missing_docs)]
