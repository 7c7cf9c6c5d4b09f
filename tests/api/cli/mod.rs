mod clients;
mod commands;
