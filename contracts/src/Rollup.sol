// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity >=0.8.24 <0.9.0;

/// @title Rollup
/// @notice The L1 side of the optimistic rollup: batch commitments, deposits, output-root proposals
/// with bonds, and the bisection dispute game that decides contested proposals.
/// @dev Every state change emits an event carrying all the data it changed, so an indexer can rebuild
/// the whole state from logs alone. Payments are pull-based (`withdraw`), so no resolution can be
/// blocked by a recipient that refuses ETH, and the balance is accounted for exactly by
/// `depositedValue + lockedBonds + unclaimedCredits + burnedBonds` (it can only be larger if ETH is
/// force-sent).
/// Design notes: docs/contracts.md.
contract Rollup {
    // ------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------

    /// @notice Whose move a game is waiting for.
    enum Turn {
        /// The proposer must post the output root at the midpoint of the disputed range.
        Defender,
        /// The challenger must agree or disagree with the root the defender posted.
        Challenger,
        /// The range is a single block; the arbiter must adjudicate it.
        Arbiter
    }

    /// @notice The state of a game: open, or how it ended.
    enum Outcome {
        /// Still being played.
        Open,
        /// The proposer won; the challenger's bond went to the proposer.
        ProposerWins,
        /// The challenger won; the proposal lost and is invalidated.
        ChallengerWins,
        /// The arbiter missed its deadline: to stay safe the proposal is invalidated without being
        /// marked as lost (its bond can be reclaimed), and the challenger's bond is burnt, so that an
        /// absent arbiter does not make invalidation free.
        NoDecision
    }

    /// @notice How a game was ended.
    enum Resolution {
        /// The arbiter decided the single-block step (trusted, first version).
        Adjudicated,
        /// The proposer missed the deadline of a defend move.
        DefenderTimedOut,
        /// The challenger missed the deadline of a respond move.
        ChallengerTimedOut,
        /// The arbiter missed the deadline of its adjudication.
        ArbiterTimedOut
    }

    /// @notice An output-root proposal.
    struct Proposal {
        /// The claimed output root of `l2Block`.
        bytes32 outputRoot;
        /// Who proposed it and posted the bond.
        address proposer;
        /// The L2 block number the root is claimed for.
        uint64 l2Block;
        /// Games on this proposal that are not resolved yet.
        uint32 openGames;
        /// Challenges are accepted strictly before this timestamp; finalization from it on.
        uint64 deadline;
        /// The L1 block the proposal was made in. The claim is judged against the L2 chain that L1
        /// data up to and including this block derives: a root of a block that was not derivable
        /// by then is wrong, whatever L1 later brings.
        uint64 l1Block;
        /// The proposal this one builds on, or `NO_PROPOSAL` for the genesis output.
        uint64 parent;
        /// Position in the chain of valid proposals when it was made (0 for the first on genesis).
        uint64 depth;
        /// Whether a challenger won a game against it.
        bool lost;
        /// Whether it is finalized.
        bool finalized;
        /// Whether its bond has left `lockedBonds` (refunded or paid to a winning challenger).
        bool bondSettled;
    }

    /// @notice A bisection game between a challenger and the proposer of one proposal.
    struct Game {
        /// The disputed proposal.
        uint64 proposalIndex;
        /// Who opened the game and posted the challenge bond.
        address challenger;
        /// Whose move it is (meaningless once the outcome is not `Open`).
        Turn turn;
        /// Open, or how it ended.
        Outcome outcome;
        /// The highest L2 block whose output root both players agree on.
        uint64 agreedBlock;
        /// The lowest L2 block whose output root the challenger disputes.
        uint64 disputedBlock;
        /// The current move must be made strictly before this timestamp.
        uint64 deadline;
        /// The agreed output root at `agreedBlock`.
        bytes32 agreedRoot;
        /// The disputed output root at `disputedBlock`.
        bytes32 disputedRoot;
        /// The defender's root at the midpoint, while the challenger's answer is awaited.
        bytes32 midRoot;
    }

    // ------------------------------------------------------------------------------------------------
    // Constants and deployment parameters
    // ------------------------------------------------------------------------------------------------

    /// @notice Stands for "no proposal": the parent of a proposal built on genesis, and the index
    /// reported for the genesis output by `latestValid` and `latestFinalized`.
    uint64 public constant NO_PROPOSAL = type(uint64).max;
    /// @notice Gas limit every deposit gets at least (plus `DEPOSIT_GAS_PER_DATA_BYTE` per byte),
    /// so that the L2 deposit transaction always covers its intrinsic gas.
    uint64 public constant MIN_DEPOSIT_GAS_LIMIT = 21_000;
    /// @notice Extra minimum deposit gas per byte of deposit data (the calldata price of a non-zero byte).
    uint64 public constant DEPOSIT_GAS_PER_DATA_BYTE = 16;
    /// @notice Largest gas limit a deposit may ask for on L2.
    uint64 public constant MAX_DEPOSIT_GAS_LIMIT = 10_000_000;
    /// @notice Largest deposit data, in bytes.
    uint64 public constant MAX_DEPOSIT_DATA_SIZE = 32_768;
    /// @notice L2 gas all deposits of one L1 block may ask for together (OP's `maxResourceLimit`).
    /// Every deposit of an L1 block goes into one L2 block, so this stays below its gas limit.
    uint64 public constant MAX_DEPOSIT_GAS_PER_L1_BLOCK = 20_000_000;
    /// @notice The deposit gas per L1 block the price aims at (a tenth of the maximum, as OP's).
    uint64 public constant DEPOSIT_GAS_TARGET = 2_000_000;
    /// @notice The deposit gas price moves by at most 1/8 of the distance to the target per L1 block.
    uint256 public constant DEPOSIT_BASE_FEE_CHANGE_DENOMINATOR = 8;
    /// @notice The lowest deposit gas price, in wei per L2 gas (OP's `minimumBaseFee`).
    uint256 public constant MIN_DEPOSIT_BASE_FEE = 1 gwei;
    /// @notice The highest deposit gas price, in wei per L2 gas.
    uint256 public constant MAX_DEPOSIT_BASE_FEE = 1_000_000 ether;
    /// @notice Percent of a losing proposal's bond that is burnt rather than paid to the challenger
    /// that won: a proposer that challenges its own wrong proposal still loses this much.
    uint256 public constant PROPOSAL_BOND_BURN_PERCENT = 50;

    /// @notice The only address allowed to append batches.
    address public immutable batcher;
    /// @notice The address that adjudicates single-block steps of dispute games (a trust assumption).
    address public immutable arbiter;
    /// @notice Exact value, in wei, a proposal must carry.
    uint256 public immutable proposalBond;
    /// @notice Exact value, in wei, a challenge must carry.
    uint256 public immutable challengeBond;
    /// @notice Seconds after a proposal during which it can be challenged.
    uint64 public immutable challengeWindow;
    /// @notice Seconds a player (or the arbiter) has for each move of a game.
    uint64 public immutable moveTimeout;
    /// @notice The output root of L2 block 0, the agreed starting point of the first proposal's games.
    bytes32 public immutable genesisOutputRoot;
    /// @notice Timestamp of L2 block 0; block `n` has timestamp `l2GenesisTime + n * l2BlockTime`.
    uint64 public immutable l2GenesisTime;
    /// @notice Seconds between consecutive L2 blocks.
    uint64 public immutable l2BlockTime;
    /// @notice Commitment to every chain parameter of the rollup (`ChainConfig::hash` in the light
    /// node): a node handed the parameters by anyone checks them against this before trusting them.
    bytes32 public immutable configHash;

    // ------------------------------------------------------------------------------------------------
    // State
    // ------------------------------------------------------------------------------------------------

    /// @notice Number of batches appended; the next batch gets this index.
    uint64 public batchCount;
    /// @notice Number of deposits made; the next deposit gets this nonce.
    uint64 public depositCount;
    /// @notice Number of proposals made; the next proposal gets this index.
    uint64 public proposalCount;
    /// @notice Number of games started; the next game gets this id.
    uint64 public gameCount;

    /// @notice Length of the chain of valid proposals (see `isValid`).
    uint64 public validChainLength;
    /// @notice The latest finalized proposal, or `NO_PROPOSAL` while only genesis is final.
    uint64 public latestFinalizedIndex = NO_PROPOSAL;

    /// @notice ETH received by deposits; it backs the value minted on L2.
    uint256 public depositedValue;
    /// @notice Bonds held for live proposals and open games.
    uint256 public lockedBonds;
    /// @notice Sum of all `credits` not yet withdrawn.
    uint256 public unclaimedCredits;
    /// @notice Bond wei burnt: it stays in the contract and nobody can ever withdraw it.
    uint256 public burnedBonds;

    /// @notice The deposit gas price of the current metering block, in wei per L2 gas; deposits
    /// burn `gasLimit * depositBaseFee / max(block.basefee, 1 gwei)` L1 gas.
    uint256 public depositBaseFee = MIN_DEPOSIT_BASE_FEE;
    /// @notice Deposit gas asked for in L1 block `depositBlock` so far.
    uint64 public depositGasUsed;
    /// @notice The L1 block `depositGasUsed` counts for.
    uint64 public depositBlock;

    /// @notice `keccak256` of each batch's data, by batch index.
    mapping(uint64 => bytes32) public batchHash;
    /// @notice Wei each account can withdraw (bond refunds and winnings).
    mapping(address => uint256) public credits;

    mapping(uint64 => Proposal) private _proposals;
    mapping(uint64 => Game) private _games;
    /// @dev Position in the valid chain => proposal index. Entries at or beyond `validChainLength`
    /// are stale: truncating the chain invalidates a whole suffix in O(1).
    mapping(uint64 => uint64) private _validChain;

    // ------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------

    /// @notice Emitted once, by the constructor, with every deployment parameter.
    event RollupInitialized(
        address batcher,
        address arbiter,
        uint256 proposalBond,
        uint256 challengeBond,
        uint64 challengeWindow,
        uint64 moveTimeout,
        bytes32 genesisOutputRoot,
        uint64 l2GenesisTime,
        uint64 l2BlockTime,
        bytes32 configHash
    );

    /// @notice A batch was appended; its data is the calldata of the `appendBatch` call.
    event BatchAppended(uint64 indexed index, bytes32 hash, uint256 size);

    /// @notice ETH and a message were deposited for L2.
    event Deposited(
        uint64 indexed nonce, address indexed from, address indexed to, uint256 value, uint64 gasLimit, bytes data
    );

    /// @notice An output root was proposed on top of `parent` (`NO_PROPOSAL`: genesis).
    event OutputProposed(
        uint64 indexed index,
        address indexed proposer,
        uint64 indexed l2Block,
        bytes32 outputRoot,
        uint64 parent,
        uint64 parentL2Block,
        uint64 deadline,
        uint256 bond
    );

    /// @notice Proposal `index` and every valid proposal made after it are invalid from now on; the
    /// latest valid proposal is now `latestValid` (`NO_PROPOSAL`: genesis) at `latestValidL2Block`.
    event ProposalsInvalidated(uint64 indexed index, uint64 latestValid, uint64 latestValidL2Block);

    /// @notice A proposal was finalized; its bond is credited back to its proposer.
    event ProposalFinalized(uint64 indexed index, uint64 l2Block, bytes32 outputRoot);

    /// @notice The bond of an invalidated (but not lost) proposal was credited back to its proposer.
    event BondReclaimed(uint64 indexed index, address indexed proposer, uint256 amount);

    /// @notice A game was started; `turn` says who moves first (the arbiter if the range is one block).
    event GameStarted(
        uint64 indexed gameId,
        uint64 indexed proposalIndex,
        address indexed challenger,
        address proposer,
        uint64 agreedBlock,
        bytes32 agreedRoot,
        uint64 disputedBlock,
        bytes32 disputedRoot,
        Turn turn,
        uint64 deadline
    );

    /// @notice The defender posted `midRoot` as the output root of `midBlock`, the midpoint of the range
    /// (`agreedBlock`, `disputedBlock`]; the challenger moves next.
    event Defended(
        uint64 indexed gameId,
        uint64 indexed proposalIndex,
        address indexed mover,
        uint64 agreedBlock,
        uint64 disputedBlock,
        uint64 midBlock,
        bytes32 midRoot,
        uint64 deadline
    );

    /// @notice The challenger agreed or disagreed with the midpoint; the range is now
    /// (`agreedBlock`, `disputedBlock`] and `turn` moves next.
    event Responded(
        uint64 indexed gameId,
        uint64 indexed proposalIndex,
        address indexed mover,
        bool agree,
        uint64 agreedBlock,
        bytes32 agreedRoot,
        uint64 disputedBlock,
        bytes32 disputedRoot,
        Turn turn,
        uint64 deadline
    );

    /// @notice The arbiter decided the single-block step from `agreedRoot` (block `l2Block - 1`) to
    /// `disputedRoot` (block `l2Block`). First version: a trusted decision, not a proof checked on L1.
    event Adjudicated(
        uint64 indexed gameId,
        uint64 indexed proposalIndex,
        address indexed arbiter,
        uint64 l2Block,
        bytes32 agreedRoot,
        bytes32 disputedRoot,
        bool proposerWins
    );

    /// @notice A game ended. `winner` (zero for `NoDecision`) is credited `payout`.
    event GameResolved(
        uint64 indexed gameId,
        uint64 indexed proposalIndex,
        Outcome outcome,
        Resolution resolution,
        address winner,
        uint256 payout
    );

    /// @notice `account` can withdraw `amount` more wei.
    event Credited(address indexed account, uint256 amount);

    /// @notice `amount` wei of bonds of game `gameId` on proposal `proposalIndex` were burnt.
    event BondBurned(uint64 indexed gameId, uint64 indexed proposalIndex, uint256 amount);

    /// @notice `account` withdrew `amount` wei.
    event Withdrawn(address indexed account, uint256 amount);

    // ------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------

    /// @notice A deployment parameter is unusable.
    error InvalidConfig(string reason);
    /// @notice Only the batcher may append batches.
    error NotBatcher(address caller, address batcher);
    /// @notice A batch must carry data.
    error EmptyBatch();
    /// @notice Deposits to the zero address would lose the value.
    error DepositToZeroAddress();
    /// @notice Deposit data is larger than `MAX_DEPOSIT_DATA_SIZE`.
    error DepositDataTooLarge(uint256 size, uint256 max);
    /// @notice The deposit's gas limit is outside [min, max] for its data size.
    error DepositGasLimitOutOfRange(uint64 gasLimit, uint64 min, uint64 max);
    /// @notice This L1 block's deposits already asked for all but `available` of
    /// `MAX_DEPOSIT_GAS_PER_L1_BLOCK`; try again in a later block.
    error DepositGasBudgetExceeded(uint64 gasLimit, uint64 available);
    /// @notice The L2 block's timestamp is not yet in the past: its output cannot be known.
    error L2BlockInFuture(uint64 l2Block, uint256 l2Timestamp, uint256 now);
    /// @notice The value sent is not the exact bond.
    error WrongBond(uint256 sent, uint256 required);
    /// @notice A proposal must be for an L2 block above the latest valid proposal's.
    error L2BlockNotAboveLast(uint64 l2Block, uint64 last);
    /// @notice No proposal has this index.
    error UnknownProposal(uint64 index);
    /// @notice The proposal lost a game or builds on one that did.
    error ProposalNotValid(uint64 index);
    /// @notice The proposal's challenge window has closed.
    error ChallengeWindowClosed(uint64 index, uint64 deadline);
    /// @notice The proposal's challenge window is still open.
    error ChallengeWindowOpen(uint64 index, uint64 deadline);
    /// @notice The proposal still has games being played.
    error GamesOpen(uint64 index, uint32 openGames);
    /// @notice The proposal's parent is not finalized yet.
    error ParentNotFinalized(uint64 index, uint64 parent);
    /// @notice The proposal is already finalized.
    error AlreadyFinalized(uint64 index);
    /// @notice The proposal is still valid: its bond comes back through `finalize`.
    error ProposalStillValid(uint64 index);
    /// @notice The proposal's bond was already refunded or paid out.
    error BondAlreadySettled(uint64 index);
    /// @notice No game has this id.
    error UnknownGame(uint64 gameId);
    /// @notice The game has already been resolved.
    error GameAlreadyResolved(uint64 gameId, Outcome outcome);
    /// @notice This move belongs to another player.
    error WrongPlayer(uint64 gameId, address caller, address expected);
    /// @notice The game waits for a different kind of move.
    error WrongTurn(uint64 gameId, Turn expected, Turn actual);
    /// @notice The move's deadline has passed; the opponent can `claimTimeout`.
    error MoveDeadlinePassed(uint64 gameId, uint64 deadline);
    /// @notice The move's deadline has not passed yet.
    error DeadlineNotReached(uint64 gameId, uint64 deadline);
    /// @notice The caller has no credit.
    error NothingToWithdraw(address account);
    /// @notice Sending the credit failed (the recipient rejected ETH).
    error WithdrawFailed(address account, uint256 amount);

    // ------------------------------------------------------------------------------------------------
    // Construction
    // ------------------------------------------------------------------------------------------------

    /// @param batcher_ The only address allowed to append batches.
    /// @param arbiter_ The address that adjudicates single-block steps.
    /// @param proposalBond_ Exact wei a proposal carries.
    /// @param challengeBond_ Exact wei a challenge carries.
    /// @param challengeWindow_ Seconds a proposal can be challenged.
    /// @param moveTimeout_ Seconds allowed for each move of a game.
    /// @param genesisOutputRoot_ The output root of L2 block 0.
    /// @param l2GenesisTime_ Timestamp of L2 block 0.
    /// @param l2BlockTime_ Seconds between L2 blocks.
    /// @param configHash_ Commitment to the rollup's chain parameters.
    constructor(
        address batcher_,
        address arbiter_,
        uint256 proposalBond_,
        uint256 challengeBond_,
        uint64 challengeWindow_,
        uint64 moveTimeout_,
        bytes32 genesisOutputRoot_,
        uint64 l2GenesisTime_,
        uint64 l2BlockTime_,
        bytes32 configHash_
    ) {
        if (batcher_ == address(0)) revert InvalidConfig("batcher is the zero address");
        if (arbiter_ == address(0)) revert InvalidConfig("arbiter is the zero address");
        if (challengeWindow_ == 0) revert InvalidConfig("challenge window is zero");
        if (moveTimeout_ == 0) revert InvalidConfig("move timeout is zero");
        if (l2BlockTime_ == 0) revert InvalidConfig("L2 block time is zero");
        batcher = batcher_;
        arbiter = arbiter_;
        proposalBond = proposalBond_;
        challengeBond = challengeBond_;
        challengeWindow = challengeWindow_;
        moveTimeout = moveTimeout_;
        genesisOutputRoot = genesisOutputRoot_;
        l2GenesisTime = l2GenesisTime_;
        l2BlockTime = l2BlockTime_;
        configHash = configHash_;
        depositBlock = uint64(block.number);
        emit RollupInitialized(
            batcher_,
            arbiter_,
            proposalBond_,
            challengeBond_,
            challengeWindow_,
            moveTimeout_,
            genesisOutputRoot_,
            l2GenesisTime_,
            l2BlockTime_,
            configHash_
        );
    }

    // ------------------------------------------------------------------------------------------------
    // Batches and deposits
    // ------------------------------------------------------------------------------------------------

    /// @notice Records a batch: stores `keccak256(data)` under the next batch index.
    /// @dev The data itself stays in calldata; readers take it from the transaction's input.
    function appendBatch(bytes calldata data) external returns (uint64 index) {
        if (msg.sender != batcher) revert NotBatcher(msg.sender, batcher);
        if (data.length == 0) revert EmptyBatch();
        index = batchCount++;
        bytes32 hash = keccak256(data);
        batchHash[index] = hash;
        emit BatchAppended(index, hash, data.length);
    }

    /// @notice Deposits `msg.value` and a call for L2: the value is minted to `to`, which is then called
    /// with `data` and `gasLimit`.
    /// @dev `gasLimit` must be at least `MIN_DEPOSIT_GAS_LIMIT + DEPOSIT_GAS_PER_DATA_BYTE * data.length`
    /// and at most `MAX_DEPOSIT_GAS_LIMIT`; `data` at most `MAX_DEPOSIT_DATA_SIZE` bytes. The gas is
    /// bought on L1 (`_meterDeposit`): within this L1 block's budget, by burning L1 gas.
    function deposit(address to, uint64 gasLimit, bytes calldata data) external payable returns (uint64 nonce) {
        if (to == address(0)) revert DepositToZeroAddress();
        if (data.length > MAX_DEPOSIT_DATA_SIZE) revert DepositDataTooLarge(data.length, MAX_DEPOSIT_DATA_SIZE);
        // Cannot overflow: data.length is bounded above.
        uint64 minGas = MIN_DEPOSIT_GAS_LIMIT + DEPOSIT_GAS_PER_DATA_BYTE * uint64(data.length);
        if (gasLimit < minGas || gasLimit > MAX_DEPOSIT_GAS_LIMIT) {
            revert DepositGasLimitOutOfRange(gasLimit, minGas, MAX_DEPOSIT_GAS_LIMIT);
        }
        _meterDeposit(gasLimit);
        nonce = depositCount++;
        depositedValue += msg.value;
        emit Deposited(nonce, msg.sender, to, msg.value, gasLimit, data);
    }

    // ------------------------------------------------------------------------------------------------
    // Proposals
    // ------------------------------------------------------------------------------------------------

    /// @notice Proposes `outputRoot` as the output root of `l2Block`, on top of the latest valid
    /// proposal (its parent). Must carry exactly `proposalBond`.
    /// The L2 block's timestamp must be in the past (as OP's L2OutputOracle requires), and the claim
    /// is judged against what L1 data up to this block derives (`Proposal.l1Block`).
    function propose(uint64 l2Block, bytes32 outputRoot) external payable returns (uint64 index) {
        if (msg.value != proposalBond) revert WrongBond(msg.value, proposalBond);
        (uint64 parent, uint64 parentL2Block,) = latestValid();
        if (l2Block <= parentL2Block) revert L2BlockNotAboveLast(l2Block, parentL2Block);
        // Both factors are uint64, so the product cannot overflow in uint256 arithmetic.
        uint256 l2Timestamp = uint256(l2GenesisTime) + uint256(l2Block) * uint256(l2BlockTime);
        if (l2Timestamp >= block.timestamp) revert L2BlockInFuture(l2Block, l2Timestamp, block.timestamp);

        index = proposalCount++;
        uint64 depth = validChainLength++;
        _validChain[depth] = index;
        uint64 deadline = uint64(block.timestamp) + challengeWindow;
        _proposals[index] = Proposal({
            outputRoot: outputRoot,
            proposer: msg.sender,
            l2Block: l2Block,
            openGames: 0,
            deadline: deadline,
            l1Block: uint64(block.number),
            parent: parent,
            depth: depth,
            lost: false,
            finalized: false,
            bondSettled: false
        });
        lockedBonds += msg.value;
        emit OutputProposed(index, msg.sender, l2Block, outputRoot, parent, parentL2Block, deadline, msg.value);
    }

    /// @notice Finalizes a valid proposal whose window has passed, with no open game and a finalized
    /// parent, and credits its bond back to its proposer. Anyone may call it.
    function finalize(uint64 index) external {
        Proposal storage p = _proposal(index);
        if (p.finalized) revert AlreadyFinalized(index);
        if (!_isValid(p, index)) revert ProposalNotValid(index);
        if (block.timestamp < p.deadline) revert ChallengeWindowOpen(index, p.deadline);
        if (p.openGames != 0) revert GamesOpen(index, p.openGames);
        if (p.parent != NO_PROPOSAL && !_proposals[p.parent].finalized) revert ParentNotFinalized(index, p.parent);

        p.finalized = true;
        p.bondSettled = true;
        latestFinalizedIndex = index;
        lockedBonds -= proposalBond;
        emit ProposalFinalized(index, p.l2Block, p.outputRoot);
        _credit(p.proposer, proposalBond);
    }

    /// @notice Credits back the bond of a proposal that was invalidated without losing a game itself
    /// (its parent lost, or its arbiter timed out), once none of its games is open. Anyone may call it.
    function reclaimBond(uint64 index) external {
        Proposal storage p = _proposal(index);
        if (_isValid(p, index)) revert ProposalStillValid(index);
        if (p.bondSettled) revert BondAlreadySettled(index);
        if (p.openGames != 0) revert GamesOpen(index, p.openGames);

        p.bondSettled = true;
        lockedBonds -= proposalBond;
        emit BondReclaimed(index, p.proposer, proposalBond);
        _credit(p.proposer, proposalBond);
    }

    // ------------------------------------------------------------------------------------------------
    // Dispute game
    // ------------------------------------------------------------------------------------------------

    /// @notice Challenges a valid proposal before its deadline; must carry exactly `challengeBond`.
    /// The game covers the L2 blocks (parent.l2Block, proposal.l2Block], starting from the parent's
    /// output root as agreed. Several games may run against one proposal; it must win them all.
    function challenge(uint64 proposalIndex) external payable returns (uint64 gameId) {
        if (msg.value != challengeBond) revert WrongBond(msg.value, challengeBond);
        Proposal storage p = _proposal(proposalIndex);
        if (block.timestamp >= p.deadline) revert ChallengeWindowClosed(proposalIndex, p.deadline);
        if (!_isValid(p, proposalIndex)) revert ProposalNotValid(proposalIndex);

        (uint64 agreedBlock, bytes32 agreedRoot) = _output(p.parent);
        gameId = gameCount++;
        Game storage g = _games[gameId];
        g.proposalIndex = proposalIndex;
        g.challenger = msg.sender;
        g.turn = p.l2Block == agreedBlock + 1 ? Turn.Arbiter : Turn.Defender;
        g.agreedBlock = agreedBlock;
        g.disputedBlock = p.l2Block;
        g.deadline = uint64(block.timestamp) + moveTimeout;
        g.agreedRoot = agreedRoot;
        g.disputedRoot = p.outputRoot;
        p.openGames += 1;
        lockedBonds += msg.value;
        emit GameStarted(
            gameId,
            proposalIndex,
            msg.sender,
            p.proposer,
            agreedBlock,
            agreedRoot,
            p.l2Block,
            p.outputRoot,
            g.turn,
            g.deadline
        );
    }

    /// @notice The proposer's move: posts its output root for the midpoint
    /// `(agreedBlock + disputedBlock) / 2` of the disputed range.
    function defend(uint64 gameId, bytes32 midRoot) external {
        Game storage g = _openGame(gameId);
        address defender = _proposals[g.proposalIndex].proposer;
        _checkMove(gameId, g, defender, Turn.Defender);

        uint64 midBlock = _midpoint(g);
        g.midRoot = midRoot;
        g.turn = Turn.Challenger;
        g.deadline = uint64(block.timestamp) + moveTimeout;
        emit Defended(
            gameId, g.proposalIndex, msg.sender, g.agreedBlock, g.disputedBlock, midBlock, midRoot, g.deadline
        );
    }

    /// @notice The challenger's move: agrees with the defender's midpoint root (the dispute moves to the
    /// upper half) or disagrees (the lower half). At a single block the arbiter moves next.
    function respond(uint64 gameId, bool agree) external {
        Game storage g = _openGame(gameId);
        _checkMove(gameId, g, g.challenger, Turn.Challenger);

        uint64 midBlock = _midpoint(g);
        if (agree) {
            g.agreedBlock = midBlock;
            g.agreedRoot = g.midRoot;
        } else {
            g.disputedBlock = midBlock;
            g.disputedRoot = g.midRoot;
        }
        delete g.midRoot;
        g.turn = g.disputedBlock == g.agreedBlock + 1 ? Turn.Arbiter : Turn.Defender;
        g.deadline = uint64(block.timestamp) + moveTimeout;
        emit Responded(
            gameId,
            g.proposalIndex,
            msg.sender,
            agree,
            g.agreedBlock,
            g.agreedRoot,
            g.disputedBlock,
            g.disputedRoot,
            g.turn,
            g.deadline
        );
    }

    /// @notice The arbiter's decision on the single-block step: whether `disputedRoot` is the correct
    /// output root of `disputedBlock` given `agreedRoot` at the block before. The arbiter re-executes
    /// that block off-chain; no proof is checked here (first version).
    function adjudicate(uint64 gameId, bool proposerWins) external {
        Game storage g = _openGame(gameId);
        _checkMove(gameId, g, arbiter, Turn.Arbiter);

        emit Adjudicated(
            gameId, g.proposalIndex, msg.sender, g.disputedBlock, g.agreedRoot, g.disputedRoot, proposerWins
        );
        _resolve(gameId, g, proposerWins ? Outcome.ProposerWins : Outcome.ChallengerWins, Resolution.Adjudicated);
    }

    /// @notice Ends a game whose current move is overdue: the player who should have moved loses.
    /// If the arbiter is overdue, nobody wins: the proposal is invalidated (safety first: an
    /// unverified root must not finalize) and the challenger's bond is burnt, so that invalidating a
    /// proposal is never free. Anyone may call it.
    function claimTimeout(uint64 gameId) external {
        Game storage g = _openGame(gameId);
        if (block.timestamp < g.deadline) revert DeadlineNotReached(gameId, g.deadline);

        if (g.turn == Turn.Defender) {
            _resolve(gameId, g, Outcome.ChallengerWins, Resolution.DefenderTimedOut);
        } else if (g.turn == Turn.Challenger) {
            _resolve(gameId, g, Outcome.ProposerWins, Resolution.ChallengerTimedOut);
        } else {
            _resolve(gameId, g, Outcome.NoDecision, Resolution.ArbiterTimedOut);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Payments
    // ------------------------------------------------------------------------------------------------

    /// @notice Sends the caller all of its credit.
    function withdraw() external {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        credits[msg.sender] = 0;
        unclaimedCredits -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert WithdrawFailed(msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @notice A proposal by index.
    function proposal(uint64 index) external view returns (Proposal memory) {
        return _proposal(index);
    }

    /// @notice A game by id.
    function game(uint64 gameId) external view returns (Game memory) {
        if (gameId >= gameCount) revert UnknownGame(gameId);
        return _games[gameId];
    }

    /// @notice Whether a proposal is valid: it has not lost a game and no proposal it builds on has.
    /// @dev Valid proposals always form one chain in index order, because each new proposal builds on
    /// the latest valid one and each invalidation removes a suffix of that chain. So a proposal is
    /// valid iff it still sits at its position in the chain: O(1).
    function isValid(uint64 index) external view returns (bool) {
        return _isValid(_proposal(index), index);
    }

    /// @notice Whether `finalize(index)` would succeed now.
    function canFinalize(uint64 index) external view returns (bool) {
        if (index >= proposalCount) return false;
        Proposal storage p = _proposals[index];
        return !p.finalized && _isValid(p, index) && block.timestamp >= p.deadline && p.openGames == 0
            && (p.parent == NO_PROPOSAL || _proposals[p.parent].finalized);
    }

    /// @notice The latest valid proposal (the parent of the next one): its index (`NO_PROPOSAL` for
    /// genesis), L2 block and output root.
    function latestValid() public view returns (uint64 index, uint64 l2Block, bytes32 outputRoot) {
        index = validChainLength == 0 ? NO_PROPOSAL : _validChain[validChainLength - 1];
        (l2Block, outputRoot) = _output(index);
    }

    /// @notice The latest finalized L2 block and its output root, with the proposal that finalized it
    /// (`NO_PROPOSAL`: the genesis output at block 0).
    function latestFinalized() external view returns (uint64 index, uint64 l2Block, bytes32 outputRoot) {
        index = latestFinalizedIndex;
        (l2Block, outputRoot) = _output(index);
    }

    // ------------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------------

    function _proposal(uint64 index) private view returns (Proposal storage) {
        if (index >= proposalCount) revert UnknownProposal(index);
        return _proposals[index];
    }

    function _isValid(Proposal storage p, uint64 index) private view returns (bool) {
        return p.depth < validChainLength && _validChain[p.depth] == index;
    }

    /// @dev The output a proposal claims, or the genesis output for `NO_PROPOSAL`.
    function _output(uint64 index) private view returns (uint64 l2Block, bytes32 outputRoot) {
        if (index == NO_PROPOSAL) return (0, genesisOutputRoot);
        Proposal storage p = _proposals[index];
        return (p.l2Block, p.outputRoot);
    }

    function _openGame(uint64 gameId) private view returns (Game storage g) {
        if (gameId >= gameCount) revert UnknownGame(gameId);
        g = _games[gameId];
        if (g.outcome != Outcome.Open) revert GameAlreadyResolved(gameId, g.outcome);
    }

    function _checkMove(uint64 gameId, Game storage g, address player, Turn turn) private view {
        if (msg.sender != player) revert WrongPlayer(gameId, msg.sender, player);
        if (g.turn != turn) revert WrongTurn(gameId, turn, g.turn);
        if (block.timestamp >= g.deadline) revert MoveDeadlinePassed(gameId, g.deadline);
    }

    function _midpoint(Game storage g) private view returns (uint64) {
        // Both are uint64, so the sum cannot overflow in uint256 arithmetic.
        return uint64((uint256(g.agreedBlock) + uint256(g.disputedBlock)) / 2);
    }

    function _resolve(uint64 gameId, Game storage g, Outcome outcome, Resolution resolution) private {
        uint64 index = g.proposalIndex;
        Proposal storage p = _proposals[index];
        g.outcome = outcome;
        p.openGames -= 1;
        lockedBonds -= challengeBond;

        address winner;
        uint256 payout;
        uint256 burnt;
        if (outcome == Outcome.ProposerWins) {
            winner = p.proposer;
            payout = challengeBond;
        } else if (outcome == Outcome.ChallengerWins) {
            winner = g.challenger;
            payout = challengeBond;
            // The proposal bond is settled once, by the first challenger that wins: part of it is
            // burnt, so that a proposer winning against itself still pays; the rest rewards the
            // challenger. Later winners against the same proposal get their own bond back.
            if (!p.bondSettled) {
                p.bondSettled = true;
                lockedBonds -= proposalBond;
                burnt = proposalBond * PROPOSAL_BOND_BURN_PERCENT / 100;
                payout += proposalBond - burnt;
            }
            if (!p.lost) {
                p.lost = true;
                _invalidate(p, index);
            }
        } else {
            // No decision: safe, but not free for the challenger.
            burnt = challengeBond;
            _invalidate(p, index);
        }
        emit GameResolved(gameId, index, outcome, resolution, winner, payout);
        if (burnt != 0) {
            burnedBonds += burnt;
            emit BondBurned(gameId, index, burnt);
        }
        _credit(winner, payout);
    }

    /// @dev Buys `gasLimit` L2 gas for a deposit: at most `MAX_DEPOSIT_GAS_PER_L1_BLOCK` per L1
    /// block, at a price that follows demand as EIP-1559's base fee does (OP's ResourceMetering),
    /// paid by burning L1 gas. A loop of deposits thus cannot hand L2 more gas than one block holds,
    /// and each L2 gas costs L1 gas.
    function _meterDeposit(uint64 gasLimit) private {
        uint64 current = uint64(block.number);
        if (current > depositBlock) {
            uint256 fee = depositBaseFee;
            uint256 used = depositGasUsed;
            // The last metered block moves the price towards its use of the target...
            if (used > DEPOSIT_GAS_TARGET) {
                fee += fee * (used - DEPOSIT_GAS_TARGET) / DEPOSIT_GAS_TARGET / DEPOSIT_BASE_FEE_CHANGE_DENOMINATOR;
            } else {
                fee -= fee * (DEPOSIT_GAS_TARGET - used) / DEPOSIT_GAS_TARGET / DEPOSIT_BASE_FEE_CHANGE_DENOMINATOR;
            }
            // ...and each L1 block without deposits since lowers it by an eighth, until the floor.
            for (uint64 empty = current - depositBlock - 1; empty > 0 && fee > MIN_DEPOSIT_BASE_FEE; empty--) {
                fee -= fee / DEPOSIT_BASE_FEE_CHANGE_DENOMINATOR;
            }
            if (fee < MIN_DEPOSIT_BASE_FEE) fee = MIN_DEPOSIT_BASE_FEE;
            if (fee > MAX_DEPOSIT_BASE_FEE) fee = MAX_DEPOSIT_BASE_FEE;
            depositBaseFee = fee;
            depositGasUsed = 0;
            depositBlock = current;
        }
        uint64 available = MAX_DEPOSIT_GAS_PER_L1_BLOCK - depositGasUsed;
        if (gasLimit > available) revert DepositGasBudgetExceeded(gasLimit, available);
        depositGasUsed += gasLimit;

        uint256 l1GasPrice = block.basefee > 1 gwei ? block.basefee : 1 gwei;
        _burnGas(uint256(gasLimit) * depositBaseFee / l1GasPrice);
    }

    /// @dev Spends `amount` gas doing nothing (OP's `Burn.gas`).
    function _burnGas(uint256 amount) private view {
        uint256 start = gasleft();
        while (start - gasleft() < amount) {}
    }

    /// @dev Truncates the valid chain just below `p`, which invalidates `p` and every proposal built on
    /// it. Nothing to do if `p` is already invalid.
    function _invalidate(Proposal storage p, uint64 index) private {
        if (!_isValid(p, index)) return;
        validChainLength = p.depth;
        (uint64 tip, uint64 tipL2Block,) = latestValid();
        emit ProposalsInvalidated(index, tip, tipL2Block);
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0 || account == address(0)) return;
        credits[account] += amount;
        unclaimedCredits += amount;
        emit Credited(account, amount);
    }
}
