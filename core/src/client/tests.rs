//! Tests of the device client: store transactions, projections, and the driver fed with server messages.
