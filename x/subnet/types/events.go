package types

// Event types and attribute keys emitted by the subnet module.
const (
	EventSubnetCreated     = "subnet_created"
	EventHyperparamsSet    = "subnet_hyperparams_set"
	EventNeuronRegistered  = "neuron_registered"
	EventNeuronReplaced    = "neuron_replaced"
	EventStakeAdded        = "stake_added"
	EventStakeRemoved      = "stake_removed"
	EventWeightsCommitted  = "weights_committed"
	EventWeightsSet        = "weights_set"
	EventEpoch             = "subnet_epoch"
	EventEmission          = "subnet_emission"
	AttributeNetuid        = "netuid"
	AttributeOwner         = "owner"
	AttributeHotkey        = "hotkey"
	AttributeStaker        = "staker"
	AttributeUID           = "uid"
	AttributeAmount        = "amount"
	AttributeBurned        = "burned"
	AttributeReplaced      = "replaced"
	AttributeRevealStart   = "reveal_start"
	AttributeRevealEnd     = "reveal_end"
	AttributeHeight        = "height"
	AttributeDistributed   = "distributed"
	AttributeOwnerEmission = "owner_emission"
	AttributeCarried       = "carried"
)
