"""Provider facts. Each provider is one module; genesis supports Chutes today."""
