import FedSimTool

// The whole fedsim command line, with the coordinate-wise median (`median`), Krum (`krum`) and self-centered
// clipping for gossip (`clipped-gossip`) registered.
FedSimTool.main(aggregators: [CoordinateMedian.self, Krum.self, ClippedGossip.self])
