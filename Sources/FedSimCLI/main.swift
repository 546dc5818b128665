import FedSimTool

// The whole tool lives in the FedSimTool library, so that other packages can add aggregators to it.
FedSimTool.main()
