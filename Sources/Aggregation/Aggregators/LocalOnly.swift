/// No communication: every client fine-tunes alone. The personalisation floor that every
/// collaborative method has to beat.
public struct LocalOnly: Aggregator {
  public static let name = "local"

  public init(options: AggregatorOptions) throws(AggregatorError) {}

  public var communication: Communication { .none }

  /// Nothing is sent, so nothing changes.
  public mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {}
}
