import Dispatch

/// `body(0..<count)`'s results in index order, computed on several threads when `parallel`.
/// Each iteration writes only its own slot, so the order never depends on scheduling.
func mapIndices<T: Sendable>(_ count: Int, parallel: Bool, _ body: @Sendable (Int) -> T) -> [T] {
    guard parallel, count > 1 else { return (0..<count).map(body) }
    let slots = Slots<T>(count)
    defer { slots.free() }
    DispatchQueue.concurrentPerform(iterations: count) { slots.base[$0] = body($0) }
    return (0..<count).map { slots.base[$0]! }
}

/// Result slots shared by `concurrentPerform`'s iterations (disjoint indices; read after it returns).
private struct Slots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T?>
    let count: Int

    init(_ count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: nil, count: count)
    }

    func free() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
