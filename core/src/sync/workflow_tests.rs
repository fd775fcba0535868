//! The workflows through the server's verdict: every `(from, to)` step for every role, pushed by a
//! device, is accepted exactly when the role may take it and compensated otherwise; offline
//! multi-step work is judged step by step.

use automerge::Automerge;
use serde_json::Value;

use super::server::{Writer, evaluate};
use crate::document::{self, Kind, Record, author_for, server_author};
use crate::domain::dispatch::{self, DispatchStatus};
use crate::domain::order::{self, OrderStatus};
use crate::domain::{CheckPoint, Dispatch, GeoPoint, Order, OrderLine, PhotoRef, WorkLogEntry};
use crate::ids::{CustomerId, EntryId, OrderLineId, ProductId, TicketId, UserId};
use crate::protocol::Verdict;
use crate::role::Role;

/// A document written by the server holding `record`.
fn stored<R: Record>(record: &R) -> Automerge {
    document::new_document(record, server_author()).unwrap()
}

/// The changes a device of `user` makes by applying each of `steps` in turn (one change each).
fn device_steps<R: Record>(
    doc: &Automerge,
    user: UserId,
    steps: &[&dyn Fn(&mut R)],
) -> Vec<Vec<u8>> {
    let mut replica = doc.fork();
    let heads = doc.get_heads();
    for step in steps {
        let mut r: R = document::hydrate(&replica).unwrap();
        step(&mut r);
        let v = serde_json::to_value(&r).unwrap();
        document::write_json(R::KIND, &mut replica, &v, author_for(user), "step").unwrap();
    }
    replica
        .get_changes(&heads)
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

fn status_of(record: &Option<Value>) -> String {
    record.as_ref().unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn photo(n: u8) -> PhotoRef {
    PhotoRef {
        sha256: format!("{n:02x}").repeat(32),
        content_type: "image/png".into(),
        ..PhotoRef::default()
    }
}

/// A dispatch in `status` with everything any status needs, so only the step is judged.
fn dispatch_in(status: DispatchStatus, engineer: UserId) -> Dispatch {
    Dispatch {
        ticket: Some(TicketId::new()),
        customer: Some(CustomerId::new()),
        engineer: Some(engineer),
        status,
        check_in: Some(CheckPoint {
            at: 1,
            geo: Some(GeoPoint {
                lat: 31.2,
                lon: 121.4,
            }),
            accuracy_m: Some(8.0),
        }),
        signature: Some(photo(1)),
        completed_at: Some(2),
        unable_reason: "no access".into(),
        ..Dispatch::default()
    }
}

#[test]
fn every_dispatch_step_for_every_role() {
    for role in Role::ALL {
        let user = UserId::new();
        for from in DispatchStatus::ALL {
            for to in DispatchStatus::ALL {
                if from == to {
                    continue;
                }
                let doc = stored(&dispatch_in(from, user));
                let set: &dyn Fn(&mut Dispatch) = &move |d| d.status = to;
                let changes = device_steps::<Dispatch>(&doc, user, &[set]);
                let ev = evaluate(Kind::Dispatch, Some(&doc), &changes, Writer { user, role });
                let allowed = dispatch::may_transition(role, from, to)
                    && crate::policy::may_write(role, Kind::Dispatch, "status");
                let expected = if allowed { to } else { from };
                assert_eq!(
                    status_of(&ev.record),
                    expected.as_str(),
                    "{role}: {} → {}",
                    from.as_str(),
                    to.as_str()
                );
                assert_eq!(
                    matches!(ev.verdict, Verdict::Accepted),
                    allowed,
                    "{role}: {} → {}: {:?}",
                    from.as_str(),
                    to.as_str(),
                    ev.verdict
                );
            }
        }
    }
}

fn order_in(status: OrderStatus) -> Order {
    let shipped = match status {
        OrderStatus::PartiallyShipped => 1.0,
        OrderStatus::Shipped | OrderStatus::Completed => 2.0,
        _ => 0.0,
    };
    Order {
        customer: Some(CustomerId::new()),
        status,
        lines: vec![OrderLine {
            id: OrderLineId::new(),
            product: Some(ProductId::new()),
            quantity: 2.0,
            shipped_quantity: shipped,
            ..OrderLine::default()
        }],
        ..Order::default()
    }
}

#[test]
fn every_order_step_for_every_role() {
    for role in [Role::Rep, Role::Office, Role::Manager, Role::Admin] {
        let user = UserId::new();
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if from == to {
                    continue;
                }
                let base = order_in(from);
                let doc = stored(&base);
                let set: &dyn Fn(&mut Order) = &move |o| o.status = to;
                let changes = device_steps::<Order>(&doc, user, &[set]);
                let ev = evaluate(Kind::Order, Some(&doc), &changes, Writer { user, role });
                let mut after = base.clone();
                after.status = to;
                // The step must be the role's, and the order must make sense in the new status
                // (shipping is recorded with the step, not by changing the status alone).
                let allowed = order::may_transition(role, from, to) && after.validate().is_empty();
                let expected = if allowed { to } else { from };
                assert_eq!(
                    status_of(&ev.record),
                    expected.as_str(),
                    "{role}: {} → {}",
                    from.as_str(),
                    to.as_str()
                );
                assert_eq!(
                    matches!(ev.verdict, Verdict::Accepted),
                    allowed,
                    "{role}: {} → {}: {:?}",
                    from.as_str(),
                    to.as_str(),
                    ev.verdict
                );
            }
        }
    }
    // Engineers and partners have no order fields at all.
    for role in [Role::Engineer, Role::Partner] {
        let doc = stored(&order_in(OrderStatus::Draft));
        let user = UserId::new();
        let set: &dyn Fn(&mut Order) = &|o| o.status = OrderStatus::Submitted;
        let changes = device_steps::<Order>(&doc, user, &[set]);
        let ev = evaluate(Kind::Order, Some(&doc), &changes, Writer { user, role });
        assert_eq!(status_of(&ev.record), "draft", "{role}");
    }
}

#[test]
fn offline_work_is_judged_step_by_step() {
    let engineer = UserId::new();
    let base = Dispatch {
        ticket: Some(TicketId::new()),
        customer: Some(CustomerId::new()),
        engineer: Some(engineer),
        ..Dispatch::default()
    };
    let doc = stored(&base);
    let steps: [&dyn Fn(&mut Dispatch); 6] = [
        &|d| d.status = DispatchStatus::Accepted,
        &|d| d.status = DispatchStatus::EnRoute,
        &|d| {
            d.check_in = Some(CheckPoint {
                at: 10,
                ..CheckPoint::default()
            });
            d.status = DispatchStatus::OnSite;
        },
        &|d| {
            d.work_log.push(WorkLogEntry {
                id: EntryId::new(),
                at: 11,
                text: "replaced the pump seal".into(),
            });
        },
        &|d| d.signature = Some(photo(7)),
        &|d| {
            d.status = DispatchStatus::Completed;
            d.completed_at = Some(12);
        },
    ];
    let changes = device_steps::<Dispatch>(&doc, engineer, &steps);
    assert_eq!(changes.len(), 6);
    let ev = evaluate(
        Kind::Dispatch,
        Some(&doc),
        &changes,
        Writer {
            user: engineer,
            role: Role::Engineer,
        },
    );
    assert!(matches!(ev.verdict, Verdict::Accepted), "{:?}", ev.verdict);
    assert_eq!(status_of(&ev.record), "completed");

    // Skipping acceptance, then logging work: the jump is refused, and the work logged while the
    // dispatch was (as corrected) not accepted is refused too.
    let steps: [&dyn Fn(&mut Dispatch); 2] = [
        &|d| {
            d.check_in = Some(CheckPoint {
                at: 10,
                ..CheckPoint::default()
            });
            d.status = DispatchStatus::OnSite;
        },
        &|d| {
            d.work_log.push(WorkLogEntry {
                id: EntryId::new(),
                at: 11,
                text: "x".into(),
            });
        },
    ];
    let changes = device_steps::<Dispatch>(&doc, engineer, &steps);
    let ev = evaluate(
        Kind::Dispatch,
        Some(&doc),
        &changes,
        Writer {
            user: engineer,
            role: Role::Engineer,
        },
    );
    let Verdict::Compensated { paths, .. } = &ev.verdict else {
        panic!("{:?}", ev.verdict);
    };
    assert!(paths.contains(&"status".to_owned()), "{paths:?}");
    assert!(paths.contains(&"work_log".to_owned()), "{paths:?}");
    let record = ev.record.unwrap();
    assert_eq!(record["status"], "assigned");
    assert_eq!(record["work_log"], serde_json::json!([]));

    // A device may not create a dispatch.
    let fresh = device_steps::<Dispatch>(
        &Automerge::new(),
        engineer,
        &[&|d: &mut Dispatch| {
            *d = dispatch_in(DispatchStatus::Assigned, engineer);
        }],
    );
    let ev = evaluate(
        Kind::Dispatch,
        None,
        &fresh,
        Writer {
            user: engineer,
            role: Role::Engineer,
        },
    );
    assert!(ev.is_rejected(), "{:?}", ev.verdict);
}
