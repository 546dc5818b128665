/// Simulated time in seconds since the start of a run. Computed from device and link models,
/// never read from the wall clock.
public typealias SimulatedTime = Double

/// A future-event list: a binary min-heap ordered by (time, sequence number). The sequence
/// number is the order of scheduling, so events due at the same instant come out in the order
/// they were scheduled — ties never depend on hashing or thread timing.
public struct EventQueue<Event>: Sendable where Event: Sendable {
  public struct Entry: Sendable {
    public let time: SimulatedTime
    public let sequence: UInt64
    public let event: Event

    @inlinable
    init(time: SimulatedTime, sequence: UInt64, event: Event) {
      self.time = time
      self.sequence = sequence
      self.event = event
    }

    @inlinable
    func precedes(_ other: Entry) -> Bool {
      time < other.time || (time == other.time && sequence < other.sequence)
    }
  }

  @usableFromInline var heap: [Entry] = []
  public var scheduledCount: UInt64 { nextSequence }
  @usableFromInline var nextSequence: UInt64 = 0

  @inlinable
  public init() {}

  public var isEmpty: Bool { heap.isEmpty }
  public var count: Int { heap.count }
  /// The time of the next event, if any.
  public var nextTime: SimulatedTime? { heap.first?.time }

  /// Schedules `event` at `time` (which must not be NaN).
  @inlinable
  public mutating func schedule(_ event: Event, at time: SimulatedTime) {
    precondition(!time.isNaN, "event scheduled at NaN time")
    heap.append(Entry(time: time, sequence: nextSequence, event: event))
    nextSequence += 1
    siftUp(heap.count - 1)
  }

  /// Removes and returns the earliest event.
  @inlinable
  public mutating func pop() -> Entry? {
    guard !heap.isEmpty else { return nil }
    let first = heap[0]
    let last = heap.removeLast()
    if !heap.isEmpty {
      heap[0] = last
      siftDown(0)
    }
    return first
  }

  @inlinable
  mutating func siftUp(_ start: Int) {
    var child = start
    let entry = heap[child]
    while child > 0 {
      let parent = (child - 1) / 2
      guard entry.precedes(heap[parent]) else { break }
      heap[child] = heap[parent]
      child = parent
    }
    heap[child] = entry
  }

  @inlinable
  mutating func siftDown(_ start: Int) {
    var parent = start
    let entry = heap[parent]
    let count = heap.count
    while true {
      let left = 2 * parent + 1
      guard left < count else { break }
      let right = left + 1
      let child = right < count && heap[right].precedes(heap[left]) ? right : left
      guard heap[child].precedes(entry) else { break }
      heap[parent] = heap[child]
      parent = child
    }
    heap[parent] = entry
  }
}
