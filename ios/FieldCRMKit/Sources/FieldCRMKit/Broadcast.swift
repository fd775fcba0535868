// Fan-out of values to any number of AsyncStreams (the Swift side of "one listener bridged to
// a flow"): the repository yields, every subscriber gets its own stream.
import Foundation

/// Delivers each value to every live subscriber; `replayLatest` gives new subscribers the last value.
final class Broadcast<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuations: [UUID: AsyncStream<Value>.Continuation] = [:]
    private var latest: Value?
    private let replayLatest: Bool

    init(initial: Value? = nil, replayLatest: Bool) {
        latest = initial
        self.replayLatest = replayLatest
    }

    /// The last value sent (or the initial one).
    var value: Value? { lock.withLock { latest } }

    func send(_ value: Value) {
        let targets = lock.withLock { () -> [AsyncStream<Value>.Continuation] in
            latest = value
            return Array(continuations.values)
        }
        targets.forEach { $0.yield(value) }
    }

    /// Updates the latest value under the lock and sends the result.
    func update(_ change: (inout Value) -> Void) where Value: Equatable {
        let (next, targets) = lock.withLock { () -> (Value?, [AsyncStream<Value>.Continuation]) in
            guard var v = latest else { return (nil, []) }
            let before = v
            change(&v)
            latest = v
            return (v != before ? v : nil, Array(continuations.values))
        }
        if let next { targets.forEach { $0.yield(next) } }
    }

    func stream() -> AsyncStream<Value> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let id = UUID()
            let first = lock.withLock { () -> Value? in
                continuations[id] = continuation
                return replayLatest ? latest : nil
            }
            if let first { continuation.yield(first) }
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                _ = self.lock.withLock { self.continuations.removeValue(forKey: id) }
            }
        }
    }
}
