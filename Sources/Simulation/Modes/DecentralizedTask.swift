/// A neighbour's message with its mixing weight.
public struct WeightedMessage<Message: Sendable>: Sendable {
  public let peer: ClientID
  public let message: Message
  public let weight: Double
  /// Local iterations the receiver has done beyond the sender's message (0 when synchronous).
  public let staleness: Int
}

/// The learning side of a decentralized (gossip) federation. Each node does local work that
/// produces a message for its neighbours, then combines its own message with theirs using the
/// mixing weights: x_i ← W_ii·y_i + Σ_j W_ij·y_j (D-PSGD, Lian et al. 2017).
///
/// `localWork` and `combine` may run concurrently for different nodes: they may mutate only the
/// node's own `state` and per-`worker` scratch.
public protocol DecentralizedTask: AnyObject, Sendable {
  associatedtype Message: Sendable
  associatedtype NodeState: Sendable

  func makeNodeState(for node: ClientID) -> NodeState
  func serializedBytes(of message: Message) -> Int
  func localWorkFLOPs(node: ClientID, state: NodeState) -> Double
  /// One local step; returns the message to share (e.g. the half-step model y_i).
  func localWork(node: ClientID, state: inout NodeState, round: Int, worker: Int) -> LocalReport<Message>
  /// A node's local-work outcome, on the simulator thread, in node order after each batch
  /// (bookkeeping that every rank of a distributed run must keep). Default: nothing.
  func finishedLocalWork(node: ClientID, state: NodeState, report: LocalReport<Message>, round: Int)
  /// Mixing. `selfWeight` already includes the weight of neighbours whose message is missing
  /// (offline or lost), so the weights always sum to one.
  func combine(
    node: ClientID, state: inout NodeState, own: Message, selfWeight: Double,
    neighbours: [WeightedMessage<Message>], round: Int, worker: Int)
  /// A node's mixing is done: on the simulator thread, in node order after each synchronous
  /// round's mixing; in asynchronous gossip, in mixing order before the next batch of local work
  /// (the order a failure found while mixing is reported in). Default: nothing.
  func finishedMixing(node: ClientID, state: NodeState, round: Int)
  /// Called on the simulator thread after each synchronous round (or at the end of an
  /// asynchronous run) with every node's state, for metrics such as the consensus distance.
  func observe(round: Int, time: SimulatedTime, states: [NodeState])
  /// Whether nodes exchange messages in `round` (default: always). In a round without exchange
  /// each node only does local work, then combines with no neighbours.
  func exchanges(round: Int) -> Bool
  /// A message `node` sends once to each neighbour before the first round (e.g. a public key),
  /// or nil (the default) for no setup phase. Setup messages are retransmitted until delivered.
  func setupMessage(node: ClientID) -> [UInt8]?
  /// Delivery of a neighbour's setup message, on the simulator thread.
  func receiveSetup(node: ClientID, from peer: ClientID, message: [UInt8])
}

extension DecentralizedTask {
  public func finishedLocalWork(node: ClientID, state: NodeState, report: LocalReport<Message>, round: Int) {}
  public func finishedMixing(node: ClientID, state: NodeState, round: Int) {}
  public func observe(round: Int, time: SimulatedTime, states: [NodeState]) {}
  public func exchanges(round: Int) -> Bool { true }
  public func setupMessage(node: ClientID) -> [UInt8]? { nil }
  public func receiveSetup(node: ClientID, from peer: ClientID, message: [UInt8]) {}
}

/// Synchronous or asynchronous gossip.
public enum GossipSchedule: Sendable, Equatable, Hashable, Codable {
  /// Every round, every online node takes a local step, sends to its neighbours and mixes once
  /// all expected messages arrived (or at the deadline); the next round starts when all are done.
  case synchronous(rounds: Int, deadline: Double?)
  /// Nodes iterate at their own pace: after each local step a node mixes with the latest
  /// messages it has from its neighbours, sends its own and starts the next step.
  case asynchronous(iterations: Int)
}
