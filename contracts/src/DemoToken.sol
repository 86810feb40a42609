// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity >=0.8.24 <0.9.0;

/// @title DemoToken
/// @notice A plain ERC-20 that the devnet's traffic generator deploys and uses on L2, so the explorer
/// has token transfers, approvals, logs and reverted calls to show.
contract DemoToken {
    /// @notice ERC-20 name.
    string public constant name = "Demo Token";
    /// @notice ERC-20 symbol.
    string public constant symbol = "DEMO";
    /// @notice ERC-20 decimals.
    uint8 public constant decimals = 18;

    /// @notice Tokens in existence.
    uint256 public totalSupply;
    /// @notice Balance of each holder.
    mapping(address => uint256) public balanceOf;
    /// @notice What a spender may still move from an owner.
    mapping(address => mapping(address => uint256)) public allowance;

    /// @notice ERC-20 transfer (a mint has `from` zero).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice ERC-20 approval.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The sender holds less than it tries to move.
    error InsufficientBalance(address holder, uint256 balance, uint256 needed);
    /// @notice The spender may move less than it tries to.
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);

    /// @param supply Tokens minted to the deployer.
    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    /// @notice Moves `value` of the caller's tokens to `to`.
    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    /// @notice Lets `spender` move up to `value` of the caller's tokens.
    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Moves `value` of `from`'s tokens to `to` within the caller's allowance.
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < value) revert InsufficientAllowance(from, msg.sender, allowed, value);
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - value;
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) private {
        uint256 balance = balanceOf[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        balanceOf[from] = balance - value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
