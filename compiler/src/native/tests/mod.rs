mod model;
mod validate;
