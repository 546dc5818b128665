import Aggregation
import Learning
import Randomness
import Simulation

/// One client of a LoRA federation: its own adapter and optimiser state (never shared).
final class LoRAClient: @unchecked Sendable {
  // @unchecked Sendable: mutated only by the job that trains this client, one at a time; read
  // for evaluation on the simulator thread while no job runs.
  let adapter: Adapter
  var optimizer: any Optimizer
  var steps = 0
  var participations = 0

  init(adapter: Adapter, optimizer: any Optimizer) {
    self.adapter = adapter
    self.optimizer = optimizer
  }
}

/// Federated LoRA fine-tuning of the shared frozen base, as a `FederatedTask` for the simulator:
/// clients receive the global adapter (unless the aggregator does not communicate), take local
/// AdamW steps on random windows of their training text, and send their adapter back.
final class LoRAFederatedTask: FederatedTask, @unchecked Sendable {
  // @unchecked Sendable: `global`, `aggregator` and `clients` change only on the simulator thread
  // (aggregation, state creation); per-worker arenas are used by one worker at a time.
  typealias Message = [Float]
  typealias ClientState = LoRAClient

  let model: DecoderLM
  let weights: ParameterSet
  let lora: LoRAConfig
  let data: ClientData
  let schedule: ScheduleSection
  let seed: UInt64
  let sequenceLength: Int
  var aggregator: any Aggregator
  var global: [Float]
  private(set) var clients: [Int: LoRAClient] = [:]
  let workspaces: [Workspace]
  let gradients: [ParameterSet]
  let initialAdapter: Adapter
  /// Over every local step a client could take in the run.
  let learningRateSchedule: LearningRateSchedule

  init(
    model: DecoderLM, weights: ParameterSet, lora: LoRAConfig, data: ClientData, schedule: ScheduleSection,
    aggregator: any Aggregator, seed: UInt64, workers: Int
  ) {
    self.model = model
    self.weights = weights
    self.lora = lora
    self.data = data
    self.schedule = schedule
    self.aggregator = aggregator
    self.seed = seed
    sequenceLength = min(schedule.sequenceLength ?? model.config.contextLength, model.config.contextLength)
    initialAdapter = Adapter(config: lora, model: model.config, seed: seed)
    learningRateSchedule =
      LearningRateSchedule.named(
        schedule.learningRateSchedule, peak: schedule.learningRate, warmupSteps: schedule.warmupSteps,
        totalSteps: max(1, schedule.rounds * schedule.localSteps)) ?? .constant(schedule.learningRate)
    global = initialAdapter.parameters.storage.toArray()
    workspaces = (0..<workers).map { _ in
      Workspace(
        config: model.config, lora: lora, batchSize: schedule.batchSize,
        sequenceLength: min(schedule.sequenceLength ?? model.config.contextLength, model.config.contextLength))
    }
    gradients = (0..<workers).map { _ in ParameterSet(layout: .lora(lora, model: model.config)) }
  }

  var communicates: Bool { aggregator.communication != .none }

  func makeClientState(for client: ClientID) -> LoRAClient {
    let adapter = Adapter(config: lora, parameters: initialAdapter.parameters.copy())
    let state = LoRAClient(adapter: adapter, optimizer: schedule.optimizer.make(for: adapter.parameters.layout))
    clients[client] = state
    return state
  }

  /// Raw parameter bytes of the adapter (Float32), what a real client would upload.
  func serializedBytes(of message: [Float]) -> Int {
    communicates ? initialAdapter.parameters.layout.entries.reduce(0) { $0 + $1.count } * 4 : 0
  }

  func localWorkFLOPs(client: ClientID, state: LoRAClient) -> Double {
    Double(schedule.localSteps)
      * FLOPCount.trainingStep(model.config, lora: lora, batch: schedule.batchSize, sequence: sequenceLength, baseGradients: false)
  }

  func requiredMemoryBytes(client: ClientID) -> Double {
    Double(weights.storage.count * 4 + workspaces[0].byteCount + 3 * initialAdapter.parameters.storage.count * 4)
  }

  func serverMessage() -> [Float] { global }

  func localWork(client: ClientID, state: inout LoRAClient, received: [Float], round: Int, worker: Int) -> LocalReport<[Float]> {
    let parameters = state.adapter.parameters
    if communicates && received.count == parameters.storage.count {
      received.withUnsafeBufferPointer { parameters.storage.pointer.update(from: $0.baseAddress!, count: received.count) }
    }
    let windows = TokenWindows(tokens: data.train[client], length: sequenceLength)
    let batch = schedule.batchSize
    var inputs = [Int32](repeating: 0, count: batch * sequenceLength), targets = inputs
    var loss = LossSum()
    let grads = gradients[worker]
    for _ in 0..<schedule.localSteps where windows.canSample {
      var stream = RandomStream(seed: seed, purpose: .batches, client: UInt32(client), round: UInt32(round), step: UInt32(state.steps))
      inputs.withUnsafeMutableBufferPointer { i in
        targets.withUnsafeMutableBufferPointer { t in
          windows.sample(batch: batch, inputs: i.baseAddress!, targets: t.baseAddress!, stream: &stream)
        }
      }
      grads.zero()
      var dropout = RandomStream(seed: seed, purpose: .dropout, client: UInt32(client), round: UInt32(round), step: UInt32(state.steps))
      let stepLoss = inputs.withUnsafeBufferPointer { i in
        targets.withUnsafeBufferPointer { t in
          // Batches are validated by construction (byte tokens of the corpus), so a failure is a bug.
          try! model.forwardBackward(
            weights: weights, adapter: state.adapter, tokens: i, targets: t, workspace: workspaces[worker],
            gradients: .init(adapter: grads), dropoutStream: &dropout)
        }
      }
      loss = loss + stepLoss
      // FedProx: ∇(μ/2)‖w − w_received‖² = μ(w − w_received).
      let mu = Float(aggregator.proximalStrength)
      if mu > 0 && received.count == parameters.storage.count {
        let g = grads.storage.pointer, w = parameters.storage.pointer
        received.withUnsafeBufferPointer { anchor in
          for i in 0..<received.count { g[i] += mu * (w[i] - anchor[i]) }
        }
      }
      if let clip = schedule.gradientClip { clipGradientNorm(grads, maxNorm: clip) }
      state.optimizer.step(parameters: parameters, gradients: grads, learningRate: learningRateSchedule.rate(at: state.steps))
      state.steps += 1
    }
    state.participations += 1
    return LocalReport(
      message: communicates ? parameters.storage.toArray() : [], weight: Double(data.train[client].count),
      metrics: ["train_loss": loss.mean])
  }

  func aggregate(reports: [ArrivedReport<[Float]>], round: Int, time: SimulatedTime) {
    guard communicates else { return }
    let contributions = reports.map {
      Contribution(client: $0.client, values: $0.report.message, weight: $0.report.weight, staleness: $0.staleness)
    }
    aggregator.aggregate(contributions, global: &global, context: AggregationContext(round: round, seed: seed))
  }

  /// The adapter a client uses now: the global one when a server aggregates.
  func currentAdapter(of client: Int) -> Adapter {
    if aggregator.communication == .server {
      return Adapter(config: lora, parameters: ParameterSet(layout: initialAdapter.parameters.layout, storage: FloatStorage(global)))
    }
    return clients[client]?.adapter ?? initialAdapter
  }
}
