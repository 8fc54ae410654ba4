//! Collecting one call's actions under the engine's two promises: never two
//! open alerts of one kind, never two actions for one kind in one call.

use super::{Action, OpenAlert, WatchState};
use crate::domain::AlertKind;

/// The actions of one call, at most one per kind.
pub(super) struct Actions<'a> {
    state: &'a WatchState,
    handled: Vec<AlertKind>,
    list: Vec<Action>,
}

impl<'a> Actions<'a> {
    pub(super) fn new(state: &'a WatchState) -> Self {
        Self {
            state,
            handled: Vec::new(),
            list: Vec::new(),
        }
    }

    /// Whether an action for `kind` can still be added.
    pub(super) fn is_free(&self, kind: AlertKind) -> bool {
        !self.handled.contains(&kind)
    }

    /// Opens an alert of `kind` unless one is open or `kind` was handled in
    /// this call. The reason is only written when the alert opens.
    pub(super) fn open(&mut self, kind: AlertKind, reason: impl FnOnce() -> String) {
        if self.is_free(kind) && self.state.open_alert(kind).is_none() {
            self.handled.push(kind);
            self.list.push(Action::Open {
                kind,
                reason: reason(),
            });
        }
    }

    /// Escalates `alert` unless its kind was handled in this call.
    pub(super) fn escalate(&mut self, alert: &OpenAlert, reason: String) {
        if self.is_free(alert.kind) {
            self.handled.push(alert.kind);
            self.list.push(Action::Escalate {
                alert: alert.id,
                reason,
            });
        }
    }

    /// Closes `alert` unless its kind was handled in this call.
    pub(super) fn close(&mut self, alert: &OpenAlert, reason: String) {
        if self.is_free(alert.kind) {
            self.handled.push(alert.kind);
            self.list.push(Action::Close {
                alert: alert.id,
                reason,
            });
        }
    }

    pub(super) fn into_vec(self) -> Vec<Action> {
        self.list
    }
}
