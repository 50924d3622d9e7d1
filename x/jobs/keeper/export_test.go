package keeper

// BuildReferee exposes buildReferee to the keeper_test package.
var BuildReferee = buildReferee
