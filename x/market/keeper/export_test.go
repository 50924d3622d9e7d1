package keeper

// TieHashForTest exposes the auction's final tie-break hash to tests.
var TieHashForTest = tieHash
