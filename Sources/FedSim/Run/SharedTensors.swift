import Aggregation

/// The part of a model's flat values that an aggregator shares (`Aggregator.shares(tensor:)`),
/// packed back to back: what is sent, noised and aggregated. The rest stays with its client.
struct SharedTensors: Sendable {
  /// Ranges of the full values that are shared, in order.
  let ranges: [Range<Int>]
  /// The shared tensors' spans inside the packed values.
  let packedTensors: [TensorSpan]
  let fullCount: Int
  let packedCount: Int

  init(tensors: [TensorSpan], fullCount: Int, shares: (String) -> Bool) {
    var ranges: [Range<Int>] = []
    var packed: [TensorSpan] = []
    var offset = 0
    for span in tensors where shares(span.name) {
      let count = span.rows * span.columns
      ranges.append(span.offset..<(span.offset + count))
      packed.append(TensorSpan(name: span.name, offset: offset, rows: span.rows, columns: span.columns))
      offset += count
    }
    self.ranges = ranges
    packedTensors = packed
    self.fullCount = fullCount
    packedCount = offset
  }

  /// Whether everything is shared (packing is then the identity).
  var isEverything: Bool { packedCount == fullCount }

  func pack(_ full: [Float]) -> [Float] {
    guard !isEverything else { return full }
    var packed: [Float] = []
    packed.reserveCapacity(packedCount)
    for range in ranges { packed.append(contentsOf: full[range]) }
    return packed
  }

  /// Writes the packed values over the shared ranges of `full`.
  func unpack(_ packed: [Float], into full: inout [Float]) {
    guard !isEverything else {
      full = packed
      return
    }
    var offset = 0
    for range in ranges {
      full.replaceSubrange(range, with: packed[offset..<(offset + range.count)])
      offset += range.count
    }
  }
}
