mod model;
mod props;
mod simulate;
mod validate;
