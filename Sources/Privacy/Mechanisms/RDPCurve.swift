/// A Rényi-DP guarantee: the mechanism is (α, ε(α))-RDP at each listed order α (Mironov 2017,
/// "Rényi Differential Privacy", CSF). Values may be +∞ (no guarantee at that order).
///
/// Curves compose by adding values order by order, so running a mechanism T times multiplies the
/// curve by T (`composed(steps:)`); `epsilon(delta:)` converts to (ε, δ)-DP.
public struct RDPCurve: Sendable, Hashable {
  /// The orders α > 1, in the order given.
  public let orders: [Double]
  /// ε(α) for each order.
  public let values: [Double]

  /// dp-accounting's `RdpAccountant` default orders: 1.1, 1.2, …, 10.9, then 11, 12, …, 63, then
  /// 128, 256, 512, 1024 (155 orders).
  public static let defaultOrders: [Double] =
    (1..<100).map { 1 + Double($0) / 10 } + (11..<64).map(Double.init) + [128, 256, 512, 1024]

  /// The integer orders 2, 3, …, 256 used by the SecLDP example-level conversion.
  public static let integerOrders: [Double] = (2...256).map(Double.init)

  /// A curve from matching lists of orders (each > 1 and finite) and values (each ≥ 0 or +∞).
  public init(orders: [Double], values: [Double]) throws(AccountantError) {
    guard orders.count == values.count else {
      throw .invalidParameter(
        name: "values", value: "\(values.count) values", expected: "one value per order (\(orders.count))")
    }
    guard !orders.isEmpty else { throw .invalidParameter(name: "orders", value: "[]", expected: "at least one order") }
    for order in orders where !(order > 1 && order.isFinite) {
      throw .invalidParameter(name: "order", value: "\(order)", expected: "a finite order > 1")
    }
    for value in values where !(value >= 0) {
      throw .invalidParameter(name: "RDP value", value: "\(value)", expected: "a non-negative number or +∞")
    }
    self.orders = orders
    self.values = values
  }

  init(uncheckedOrders orders: [Double], values: [Double]) {
    self.orders = orders
    self.values = values
  }

  /// The curve of `steps` adaptive compositions of this mechanism: ε(α) · steps.
  public func composed(steps: Int) throws(AccountantError) -> RDPCurve {
    guard steps >= 1 else { throw .invalidParameter(name: "steps", value: "\(steps)", expected: "at least 1") }
    return RDPCurve(uncheckedOrders: orders, values: values.map { $0 * Double(steps) })
  }

  /// The sequential composition of two curves on the same orders: ε₁(α) + ε₂(α).
  public func composed(with other: RDPCurve) throws(AccountantError) -> RDPCurve {
    guard other.orders == orders else {
      throw .invalidParameter(name: "orders", value: "\(other.orders.count) orders", expected: "the same orders as the other curve")
    }
    return RDPCurve(uncheckedOrders: orders, values: zip(values, other.values).map { $0 + $1 })
  }

  /// The tightest (ε, δ) of the improved conversion (see `RDPConversion.epsilon`).
  public func epsilon(delta: Double) throws(AccountantError) -> PrivacyLoss {
    try RDPConversion.epsilon(orders: orders, rdp: values, delta: delta)
  }

  /// The (ε, δ) of the classic conversion ε = min_α [ε(α) + ln(1/δ)/(α − 1)].
  public func classicEpsilon(delta: Double) throws(AccountantError) -> PrivacyLoss {
    try RDPConversion.classicEpsilon(orders: orders, rdp: values, delta: delta)
  }
}

/// An (ε, δ)-DP guarantee and the Rényi order whose conversion gave it.
public struct PrivacyLoss: Sendable, Hashable, CustomStringConvertible {
  public let epsilon: Double
  public let delta: Double
  /// The minimising order (0 when every order gave ε = 0 through the KL fallback and none is
  /// singled out, as in dp-accounting).
  public let order: Double

  public init(epsilon: Double, delta: Double, order: Double) {
    self.epsilon = epsilon
    self.delta = delta
    self.order = order
  }

  public var description: String { "(ε = \(epsilon), δ = \(delta)) at order \(order)" }
}
