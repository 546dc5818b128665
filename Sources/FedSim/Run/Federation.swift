import Aggregation
import Foundation
import Learning
import Privacy
import Simulation

/// What a client sends: its values and, for prediction-based trust, its predictions.
struct FederationMessage: Sendable {
  var values: [Float]
  var predictions: Predictions?
  /// The round's mean step size η of the sender (user-level privacy scales noise by it).
  var stepSize: Double = 0
}

/// One client of a federation: the learner's state plus what the federation tracks about it.
final class FederationClient<LearnerState: AnyObject & Sendable>: @unchecked Sendable {
  // @unchecked Sendable: mutated only by the job that trains or mixes this client, one at a time,
  // or on the simulator thread while no job runs.
  /// The learner's state: nil on the ranks of a distributed run that do not own the client.
  let learner: LearnerState?
  var participations = 0
  /// Rounds whose local result was rejected (non-finite values).
  var rejections = 0
  /// Rounds in which this client released a noisy update.
  var releases = 0
  var secrets: EdgeSecrets?
  /// The mixing row of its latest aggregation (personalised aggregators).
  var lastRow: MixingRow?
  var lastRowRound = -1

  init(learner: LearnerState?) { self.learner = learner }
}

/// A federation of clients training one kind of model: communication, aggregation and privacy,
/// the same for every `LocalLearner`. It is both the server-based task (clients receive the
/// global values, train, send back) and the decentralized one (clients train, send to their
/// neighbours, mix).
final class Federation<Learner: LocalLearner>: FederatedTask, DecentralizedTask, @unchecked Sendable {
  // @unchecked Sendable: `global`, `aggregator` and `clients` change only on the simulator thread;
  // each client's state is touched by one job at a time.
  typealias Message = FederationMessage
  typealias ClientState = FederationClient<Learner.State>
  typealias NodeState = FederationClient<Learner.State>

  let learner: Learner
  var aggregator: any Aggregator
  let privacy: PrivacyPlan?
  let seed: UInt64
  /// Seeds what privacy draws outside the plan — edge key pairs and the server's central noise —
  /// the run seed except in an audit's trials.
  var noiseSeed: UInt64
  /// An audit's canary and observer (nil in ordinary runs).
  var probe: AuditProbe?
  /// The number of clients (ids 0 ..< population).
  let population: Int
  /// HKDF salt of the edge keys.
  let runID: [UInt8]
  var global: [Float]
  var clients: [Int: ClientState] = [:]
  /// The first failure of a worker job (an OpenSSL keystream, say): the run stops with it.
  let errors = FirstError()
  /// Running sums of the replies accepted for each open aggregation (streaming aggregators).
  var pendingSums: [Int: WeightedSum] = [:]
  let keysSeeded: Bool
  /// What the aggregator shares of the values.
  let shared: SharedTensors
  /// Each client's own model (packed shared values) when the server personalises.
  var personal: [Int: [Float]] = [:]
  let workers: Int
  /// What happens to non-finite values (faults.non_finite).
  let nonFinite: FaultsSection.NonFinite
  /// Non-finite values found so far, for the metrics.
  let findings = FindingStore()
  /// What aggregations recorded (`AggregationContext.record`/`warn`), per round until the round's
  /// summary takes it.
  let aggregationReports = AggregationReports()
  /// Clients that send poisoned values, and how (`adversaries`).
  var adversaries: Set<Int> = []
  var attack: AdversariesSection?
  /// The ranks sharing this federation: a client's learner state lives on its owner only.
  var cluster: any Cluster = SingleProcess()
  /// Every node's public key in a distributed Decor run (each rank makes only its own nodes').
  var publicKeys: [Int: [UInt8]]?

  init(
    learner: Learner, aggregator: any Aggregator, privacy: PrivacyPlan?, population: Int, seed: UInt64, runName: String, keysSeeded: Bool,
    workers: Int = 1, nonFinite: FaultsSection.NonFinite = .reject
  ) {
    self.population = population
    self.workers = workers
    self.nonFinite = nonFinite
    self.learner = learner
    self.aggregator = aggregator
    self.privacy = privacy
    self.seed = seed
    noiseSeed = seed
    self.keysSeeded = keysSeeded
    runID = Array("fedsim-run:\(runName):\(seed)".utf8)
    global = learner.initialValues
    shared = SharedTensors(tensors: learner.tensors, fullCount: learner.initialValues.count) { aggregator.shares(tensor: $0) }
    countsReleases = privacy != nil && aggregator.communication != .none
    streamsReports =
      aggregator.communication == .server && !aggregator.personalisesOnServer
      && aggregator.streamingWeight(of: Contribution(client: 0, values: [], weight: 1)) != nil
  }

  var communicates: Bool { aggregator.communication != .none }

  /// A server that sends every client its own model.
  var personalised: Bool { aggregator.communication == .server && aggregator.personalisesOnServer }

  func makeState(_ client: Int) -> ClientState {
    guard cluster.owns(client) else {
      // Another rank trains this client: only the counters every rank keeps live here.
      let state = ClientState(learner: nil)
      clients[client] = state
      return state
    }
    let state = ClientState(learner: learner.makeState(client: client, ownInitialisation: aggregator.initialisation == .perClient))
    if privacy?.mechanism == .correlated {
      do { state.secrets = try EdgeSecrets(client: client, seed: noiseSeed, seeded: keysSeeded) } catch { errors.record(error) }
    }
    clients[client] = state
    return state
  }

  // MARK: - Local work (both modes)

  /// The round's local training from the client's current values, then privatisation: the
  /// message is y = x − η(clip(u, C) + noise) with u = (x − x_trained)/η at user level, or the
  /// trained values when each step was already private (example level) or without privacy.
  func step(client: Int, state: ClientState, round: Int, worker: Int) -> LocalReport<FederationMessage> {
    guard let own = state.learner else {
      errors.record(.simulation("client \(client) was given to rank \(cluster.rank), which does not own it"))
      return LocalReport(message: FederationMessage(values: []), weight: 0, rejected: true)
    }
    let before = learner.values(of: own)
    let eta = learner.roundStepSize(of: own)
    let snapshot = learner.snapshot(of: own)
    var exampleLevel: ExampleLevelPrivacy? = nil
    if let privacy, privacy.level == .example {
      let edges = state.secrets?.edges ?? [], steps = learner.localSteps, errors = self.errors
      let canary = probe.flatMap { $0.target == client ? ExampleCanary(coordinate: $0.coordinate, value: $0.canary(round: round)) : nil }
      exampleLevel = ExampleLevelPrivacy(clip: privacy.clip, canary: canary) { step, gradient in
        do {
          let noise = try privacy.noise(client: client, edges: edges, index: round * steps + step, dimension: gradient.count)
          for i in 0..<gradient.count { gradient[i] += noise[i] }
        } catch {
          errors.record(.simulation("noise of client \(client), round \(round), step \(step): \(error)"))
        }
      }
    }
    let metrics = learner.train(
      client: client, state: own, round: round, worker: worker, anchor: before, proximal: aggregator.proximalStrength,
      privacy: exampleLevel, flipLabels: attack?.attack == .labelFlip && adversaries.contains(client))
    var values = learner.values(of: own)
    var message = shared.pack(values)
    if let privacy, privacy.level == .example, let probe {
      // Example level: the adversary sees the round's trained values; it knows nothing of the
      // target's other examples along the canary's coordinate (they have none).
      observe(
        probe, client: client, round: round, start: shared.pack(before), message: message, eta: eta, known: nil, plan: privacy,
        state: state, steps: learner.localSteps)
    }
    if let privacy, privacy.level == .user {
      message = privatised(
        start: shared.pack(before), trained: message, eta: eta, client: client, state: state, round: round, plan: privacy)
      shared.unpack(message, into: &values)
      learner.setValues(values, of: own)
    }
    // A non-finite loss or update never leaves the client: the round is undone.
    let badLoss = metrics.keys.sorted().first { !(metrics[$0]?.isFinite ?? true) }
    if let tensor = badLoss ?? firstNonFiniteTensor(values, tensors: learner.tensors) {
      found(NonFiniteFinding(round: round, client: client, site: badLoss != nil ? .loss : .update, tensor: tensor))
      learner.restore(snapshot, to: own)
      return LocalReport(message: FederationMessage(values: []), weight: learner.trainingWeight(client: client), rejected: true)
    }
    var predictions: Predictions? = nil
    if aggregator.evidence.kinds.contains(.predictions) && aggregator.exchanges(round: round) {
      predictions = learner.predictions(values: values, request: aggregator.evidence, worker: worker)
    }
    // An adversary trains like the others (its own model stays honest) but sends poisoned values.
    if let attack, adversaries.contains(client) {
      message = attack.poison(start: shared.pack(before), trained: message, client: client, round: round, seed: seed)
    }
    return LocalReport(
      message: communicates && exchanges(round: round)
        ? FederationMessage(values: message, predictions: predictions, stepSize: eta) : FederationMessage(values: []),
      weight: learner.trainingWeight(client: client), metrics: metrics)
  }

  /// Records a non-finite value; under `faults.non_finite: stop` the run stops with it — for a
  /// client's own work, once the job is finished (`finishedLocalWork`, in job order, so that the
  /// first failing job's finding is the error whatever thread or rank ran it).
  func found(_ finding: NonFiniteFinding) {
    findings.record(finding)
    if nonFinite == .stop && finding.site == .aggregate { errors.record(.nonFinite(finding)) }
  }

  /// User-level release y = x − η(clip(u, C) + noise) of the update u = (x − x_trained)/η, with η
  /// the mean of the step sizes the round's local steps used (so with a decaying schedule the
  /// noise shrinks with the steps, and the clip bounds the same pseudo-gradient every round).
  func privatised(
    start: [Float], trained: [Float], eta: Double, client: Int, state: ClientState, round: Int, plan: PrivacyPlan
  ) -> [Float] {
    var update = (0..<trained.count).map { (Double(start[$0]) - Double(trained[$0])) / eta }
    let norm = update.reduce(0) { $0 + $1 * $1 }.squareRoot()
    if norm > plan.clip { update = update.map { $0 * plan.clip / norm } }
    let clipped = update
    if let probe, client == probe.target {
      // An audit's gradient canary replaces the target's whole clipped update.
      update = [Double](repeating: 0, count: trained.count)
      update[probe.coordinate] = probe.canary(round: round)
    }
    var noise = [Double](repeating: 0, count: trained.count)
    do {
      noise = try plan.noise(client: client, edges: state.secrets?.edges ?? [], index: round, dimension: trained.count)
    } catch {
      errors.record(.simulation("noise of client \(client), round \(round): \(error)"))
    }
    let message = (0..<trained.count).map { Float(Double(start[$0]) - eta * (update[$0] + noise[$0])) }
    if let probe {
      observe(probe, client: client, round: round, start: start, message: message, eta: eta, known: clipped, plan: plan, state: state)
    }
    return message
  }

  /// An audit's adversary reads a release: the message along the canary's coordinate, less what
  /// it knows (a non-target's clipped update, the noise on edges to curious users). With central
  /// noise only the aggregate is released: the target's start and step size are noted for it.
  func observe(
    _ probe: AuditProbe, client: Int, round: Int, start: [Float], message: [Float], eta: Double, known: [Double]?, plan: PrivacyPlan,
    state: ClientState, steps: Int = 1
  ) {
    let c = probe.coordinate
    if plan.mechanism == .central {
      if client == probe.target { probe.noteTargetRelease(round: round, start: Double(start[c]), eta: eta) }
      return
    }
    guard probe.watches(client) else { return }
    var residual = (Double(start[c]) - Double(message[c])) / eta
    if client != probe.target, let known { residual -= known[c] }
    if !probe.curious.isEmpty {
      do {
        for step in 0..<steps {
          residual -= try plan.knownNoise(
            client: client, edges: state.secrets?.edges ?? [], curious: probe.curious, index: round * steps + step, dimension: start.count)[
              c]
        }
      } catch {
        errors.record(.simulation("known noise of client \(client), round \(round): \(error)"))
      }
    }
    probe.observe(client: client, round: round, residual: residual)
  }

  /// Raw Float32 values plus sparse predictions: what a real client would send.
  func serializedBytes(of message: FederationMessage) -> Int {
    communicates && !message.values.isEmpty ? shared.packedCount * 4 + (message.predictions?.serializedBytes ?? 0) : 0
  }

  /// The std of the server's noise on the sum, in the contributions' units: σ times the largest
  /// step size among the round's senders (each moved the sum by at most η_i·C).
  func centralNoise(stepSize: Double) -> Double {
    guard let privacy, privacy.mechanism == .central else { return 0 }
    return stepSize * privacy.sigmaCDP * (privacy.fault == .halvedNoise ? 0.5 : 1)
  }

  /// Per open aggregation, the largest step size among the replies accepted so far.
  var pendingStepSizes: [Int: Double] = [:]

  // MARK: - FederatedTask

  func makeClientState(for client: ClientID) -> ClientState { makeState(client) }

  func localWorkFLOPs(client: ClientID, state: ClientState) -> Double { learner.localWorkFLOPs(client: client) }

  func requiredMemoryBytes(client: ClientID) -> Double { learner.requiredMemoryBytes }

  func serverMessage() -> FederationMessage { FederationMessage(values: shared.pack(global)) }

  /// Nothing in rounds without exchange; a personalising server's model for this client.
  func serverMessage(for client: ClientID, round: Int) -> FederationMessage {
    guard communicates && exchanges(round: round) else { return FederationMessage(values: []) }
    // A personalising server has nothing for a client it has not aggregated yet: the client keeps
    // its own model (what it trained during the warm-up, say).
    if personalised { return FederationMessage(values: personal[client] ?? []) }
    return serverMessage()
  }

  func localWork(client: ClientID, state: inout ClientState, received: FederationMessage, round: Int, worker: Int)
    -> LocalReport<FederationMessage>
  {
    if communicates && received.values.count == shared.packedCount, let own = state.learner {
      var values = learner.values(of: own)
      shared.unpack(received.values, into: &values)
      learner.setValues(values, of: own)
    }
    return step(client: client, state: state, round: round, worker: worker)
  }

  /// Streaming aggregators fold each reply into a running sum on arrival; the replies are dropped.
  let streamsReports: Bool
  /// Whether clients' rounds count as releases for the accountant (private and communicating).
  let countsReleases: Bool

  func accept(_ report: ArrivedReport<FederationMessage>, round: Int) {
    let contribution = Contribution(
      client: report.client, values: report.report.message.values, weight: report.report.weight, staleness: report.staleness)
    guard let weight = aggregator.streamingWeight(of: contribution) else { return }
    if let probe, contribution.values.count > probe.coordinate {
      probe.noteContribution(round: round, client: report.client, value: Double(contribution.values[probe.coordinate]))
    }
    pendingSums[round, default: WeightedSum(dimension: shared.packedCount)].add(contribution, weight: weight)
    pendingStepSizes[round] = max(pendingStepSizes[round] ?? 0, report.report.message.stepSize)
  }

  func aggregate(reports: [ArrivedReport<FederationMessage>], round: Int, time: SimulatedTime) {
    guard communicates else { return }
    let stepSize =
      streamsReports ? pendingStepSizes[round] ?? 0 : reports.map(\.report.message.stepSize).max() ?? 0
    pendingStepSizes = pendingStepSizes.filter { $0.key > round }
    var context = AggregationContext(
      round: round, seed: noiseSeed, tensors: shared.packedTensors, centralNoise: centralNoise(stepSize: stepSize))
    context.report = aggregationReports.report(for: round)
    if personalised {
      personalise(reports.filter { !$0.report.message.values.isEmpty }, round: round)
      return
    }
    let previous = shared.pack(global)
    var packed = previous
    if streamsReports {
      let sum = pendingSums.removeValue(forKey: round) ?? WeightedSum(dimension: shared.packedCount)
      // Sums of failed rounds are never finished.
      pendingSums = pendingSums.filter { $0.key > round }
      aggregator.finish(sum, global: &packed, context: context)
      if let probe, sum.count > 0 { probe.observeAggregate(round: round, value: Double(packed[probe.coordinate]), count: sum.count) }
    } else {
      let contributions = reports.map {
        Contribution(client: $0.client, values: $0.report.message.values, weight: $0.report.weight, staleness: $0.staleness)
      }
      aggregator.aggregate(contributions, global: &packed, context: context)
      if let probe, privacy?.mechanism == .central, !contributions.isEmpty {
        for contribution in contributions where contribution.values.count > probe.coordinate {
          probe.noteContribution(round: round, client: contribution.client, value: Double(contribution.values[probe.coordinate]))
        }
        probe.observeAggregate(round: round, value: Double(packed[probe.coordinate]), count: contributions.count)
      }
    }
    // A non-finite aggregate is not applied: the server keeps its model.
    if let tensor = firstNonFiniteTensor(packed, tensors: shared.packedTensors) {
      found(NonFiniteFinding(round: round, client: nil, site: .aggregate, tensor: tensor))
      packed = previous
    }
    shared.unpack(packed, into: &global)
  }

  /// A personalising server: every reporting client is a receiver that heard the round's other
  /// replies (uniform topology weights); its row and model come from the aggregator's
  /// `mixingWeights` and `combine`. The global values become the plain mean (for newcomers).
  func personalise(_ reports: [ArrivedReport<FederationMessage>], round: Int) {
    guard !reports.isEmpty else { return }
    let ordered = reports.sorted { $0.client < $1.client }
    let contributions = ordered.map {
      Contribution(client: $0.client, values: $0.report.message.values, weight: $0.report.weight, staleness: $0.staleness)
    }
    let uniform = MixingRow(contributions.map { ($0.client, 1 / Double(contributions.count)) })
    let aggregator = self.aggregator, learner = self.learner, shared = self.shared, seed = self.seed
    // A receiver's own model is on the rank that owns it (each rank mixes for its own receivers).
    let fulls = ordered.map { arrived in
      cluster.owns(arrived.client) ? clients[arrived.client]?.learner.map { learner.values(of: $0) } ?? learner.initialValues : []
    }
    let mix: @Sendable ((offset: Int, element: ArrivedReport<FederationMessage>), Int) -> (MixingRow, [Float]) = { item, _ in
      let (index, arrived) = item
      let receiver = arrived.client
      let others = contributions.filter { $0.client != receiver }
      var context = AggregationContext(round: round, seed: seed, receiver: receiver, tensors: shared.packedTensors)
      context.report = self.aggregationReports.report(for: round, receiver: receiver)
      let evidence = self.evidence(
        receiver: receiver, ownFull: fulls[index],
        models: ordered.map { ($0.client, $0.report.message.values, $0.report.message.predictions) })
      let row = aggregator.mixingWeights(
        MixingInput(
          receiver: receiver, own: contributions[index].values, received: others, topology: uniform, evidence: evidence, context: context))
      let mixed = aggregator.combine(
        own: contributions[index].values, selfWeight: row.weight(of: receiver), neighbours: others.map { ($0, row.weight(of: $0.client)) },
        context: context)
      return (row, mixed)
    }
    guard let results = personalisedModels(Array(ordered.enumerated()), round: round, mix: mix) else { return }
    for (arrived, (row, mixed)) in zip(ordered, results) {
      if let tensor = firstNonFiniteTensor(mixed, tensors: shared.packedTensors) {
        // The client keeps the model it had.
        found(NonFiniteFinding(round: round, client: arrived.client, site: .aggregate, tensor: tensor))
        continue
      }
      personal[arrived.client] = mixed
      if let state = clients[arrived.client], aggregator.recordsMixingWeights {
        state.lastRow = row
        state.lastRowRound = round
      }
    }
    var mean = WeightedSum(dimension: shared.packedCount)
    for contribution in contributions { mean.add(contribution, weight: 1) }
    var packed = shared.pack(global)
    mean.writeMean(into: &packed)
    shared.unpack(packed, into: &global)
  }

  /// What a receiver measures about the models it holds (itself included), each given by its
  /// packed shared values: the loss of the model it would hold — the shared part over its own
  /// personal part — on its validation windows, and the distance of the senders' predictions to
  /// its own.
  func evidence(receiver: Int, ownFull: [Float], models: [(client: Int, values: [Float], predictions: Predictions?)]) -> PeerEvidence {
    var evidence = PeerEvidence()
    let kinds = aggregator.evidence.kinds
    if kinds.contains(.validationLoss) {
      for model in models {
        var values = ownFull
        shared.unpack(model.values, into: &values)
        evidence.validationLoss[model.client] = learner.validationLoss(values: values, receiver: receiver)
      }
    }
    if kinds.contains(.predictions), let mine = models.first(where: { $0.client == receiver })?.predictions {
      for model in models where model.client != receiver {
        if let theirs = model.predictions { evidence.predictionDistance[model.client] = mine.distance(to: theirs) }
      }
    }
    return evidence
  }

  // MARK: - DecentralizedTask

  func makeNodeState(for node: ClientID) -> ClientState { makeState(node) }

  func localWorkFLOPs(node: ClientID, state: ClientState) -> Double { learner.localWorkFLOPs(client: node) }

  func localWork(node: ClientID, state: inout ClientState, round: Int, worker: Int) -> LocalReport<FederationMessage> {
    step(client: node, state: state, round: round, worker: worker)
  }

  func exchanges(round: Int) -> Bool { aggregator.exchanges(round: round) }

  func setupMessage(node: ClientID) -> [UInt8]? { publicKeyMessage(of: node) }

  func receiveSetup(node: ClientID, from peer: ClientID, message: [UInt8]) {
    do { try clients[node]?.secrets?.receive(publicKey: message, from: peer, runID: runID) } catch { errors.record(error) }
  }

  func combine(
    node: ClientID, state: inout ClientState, own: FederationMessage, selfWeight: Double, neighbours: [WeightedMessage<FederationMessage>],
    round: Int, worker: Int
  ) {
    // Without communication the message is empty and the client keeps what it trained.
    guard communicates, own.values.count == shared.packedCount, let ownState = state.learner else { return }
    let contributions = neighbours.map {
      Contribution(client: $0.peer, values: $0.message.values, weight: learner.trainingWeight(client: $0.peer), staleness: $0.staleness)
    }
    let topology = MixingRow([(node, selfWeight)] + neighbours.map { ($0.peer, $0.weight) })
    var context = AggregationContext(round: round, seed: seed, receiver: node, tensors: shared.packedTensors)
    context.report = aggregationReports.report(for: round, receiver: node)
    var full = learner.values(of: ownState)
    let evidence =
      neighbours.isEmpty
      ? PeerEvidence()
      : self.evidence(
        receiver: node, ownFull: full,
        models: [(node, own.values, own.predictions)] + neighbours.map { ($0.peer, $0.message.values, $0.message.predictions) })
    let row = aggregator.mixingWeights(
      MixingInput(receiver: node, own: own.values, received: contributions, topology: topology, evidence: evidence, context: context))
    let mixed = aggregator.combine(
      own: own.values, selfWeight: row.weight(of: node), neighbours: contributions.map { ($0, row.weight(of: $0.client)) },
      context: context)
    if let tensor = firstNonFiniteTensor(mixed, tensors: shared.packedTensors) {
      // The client keeps what it trained. Under `stop`, the run stops once every node has mixed
      // (`finishedMixing`, in node order, whatever thread or rank found it first).
      findings.record(NonFiniteFinding(round: round, client: node, site: .aggregate, tensor: tensor))
      return
    }
    shared.unpack(mixed, into: &full)
    learner.setValues(full, of: ownState)
    if aggregator.recordsMixingWeights && !neighbours.isEmpty {
      state.lastRow = row
      state.lastRowRound = round
    }
  }

  // MARK: - Observation

  /// The values a client uses now: the global ones when a server aggregates.
  func currentValues(of client: Int) -> [Float] {
    guard aggregator.communication == .server else {
      return clients[client]?.learner.map { learner.values(of: $0) } ?? learner.initialValues
    }
    if personalised {
      var values = clients[client]?.learner.map { learner.values(of: $0) } ?? global
      if let own = personal[client] { shared.unpack(own, into: &values) }
      return values
    }
    if shared.isEverything { return global }
    // The global shared tensors over the client's personal ones.
    var values = clients[client]?.learner.map { learner.values(of: $0) } ?? learner.initialValues
    shared.unpack(shared.pack(global), into: &values)
    return values
  }

  /// The trust matrix of `round`'s aggregation (rows of clients that mixed then; others empty).
  func mixingMatrix(round: Int, clientCount: Int) -> [[Double]]? {
    guard aggregator.recordsMixingWeights else { return nil }
    var any = false
    let rows = (0..<clientCount).map { client -> [Double] in
      guard let state = clients[client], state.lastRowRound == round, let row = state.lastRow else { return [] }
      any = true
      return (0..<clientCount).map { row.weight(of: $0) }
    }
    return any ? rows : nil
  }

  /// ε spent so far by each client (nil for curious ones), when the run is private.
  func epsilons(clientCount: Int) -> [Double?]? {
    guard let privacy else { return nil }
    return (0..<clientCount).map { privacy.epsilon(client: $0, rounds: clients[$0]?.releases ?? 0) }
  }
}
