mod area;
mod people;
mod settings;
