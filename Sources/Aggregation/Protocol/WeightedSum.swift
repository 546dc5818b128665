import StateArchive

/// A running weighted sum of contributions in Float64: what streaming aggregators fold replies
/// into as they arrive, so memory does not grow with the number of replies held.
public struct WeightedSum: Sendable, Equatable {
  public private(set) var sum: [Double]
  public private(set) var totalWeight: Double = 0
  public private(set) var count = 0
  /// Sum of the contributions' staleness (for staleness-aware rules).
  public private(set) var totalStaleness = 0

  public init(dimension: Int) { sum = [Double](repeating: 0, count: dimension) }

  /// The sum of `contributions` in client order (so it does not depend on the order replies
  /// arrived in), each with `weight(contribution)`: the batch form of streaming aggregators.
  public init(_ contributions: [Contribution], dimension: Int, weight: (Contribution) -> Double) {
    self.init(dimension: dimension)
    for contribution in contributions.sorted(by: { $0.client < $1.client }) { add(contribution, weight: weight(contribution)) }
  }

  /// Adds weight · values. Contributions of the wrong size are a programming error.
  public mutating func add(_ contribution: Contribution, weight: Double) {
    precondition(
      contribution.values.count == sum.count,
      "contribution of client \(contribution.client) has \(contribution.values.count) values, expected \(sum.count)")
    count += 1
    totalStaleness += contribution.staleness
    guard weight > 0 else { return }
    totalWeight += weight
    contribution.values.withUnsafeBufferPointer { values in
      sum.withUnsafeMutableBufferPointer { sum in
        for i in 0..<sum.count { sum[i] += weight * Double(values[i]) }
      }
    }
  }

  /// The weighted mean Σ wᵢxᵢ / Σ wᵢ rounded to Float32 into `values` (left as they are when
  /// nothing was added with a positive weight).
  public func writeMean(into values: inout [Float]) {
    guard totalWeight > 0 else { return }
    for i in 0..<min(values.count, sum.count) { values[i] = Float(sum[i] / totalWeight) }
  }
}

extension WeightedSum: Archivable {
  public func archive(to writer: inout ArchiveWriter) {
    writer.section("weighted-sum")
    writer.write(sum)
    writer.write(totalWeight)
    writer.write(count)
    writer.write(totalStaleness)
  }

  public init(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("weighted-sum")
    sum = try reader.readDoubles()
    totalWeight = try reader.readDouble()
    count = try reader.readInt()
    totalStaleness = try reader.readInt()
  }
}
